"""The ``commonground`` command line: the same settings and store as the web app.

Exit status: 0 on success, 2 on bad usage (click), 1 on failure (a one-line message, never a
traceback, for the failures a user can fix).

Only ``serve`` builds the Flask app. The data commands (ingest, export, recommend, coverage,
...) get the store, the settings and the use-case context without it (:func:`_context`), so
they start without importing Flask, folium or the pages: a load of a large file spends its
time on the file.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
import os
from typing import TYPE_CHECKING
from typing import Any

import click

from matching.taxonomy import TERMS
from service.config import load_settings
from service.usecases.context import Context
from store import DEFAULT_SQLITE_URL
from store import Store
from store import StoreUnavailableError
from store import explain_db_error

if TYPE_CHECKING:
    from flask import Flask


def _overrides(ctx: click.Context) -> dict[str, Any] | None:
    obj = ctx.ensure_object(dict)
    return {"DATABASE_URL": obj["database_url"]} if obj.get("database_url") else None


def _app(ctx: click.Context) -> Flask:
    """The Flask app (``serve`` only): built on first use, with this invocation's context."""
    obj = ctx.ensure_object(dict)
    if "app" not in obj:
        if "context" in obj:  # one store per invocation: the app's replaces the light one
            obj.pop("context").store.dispose()
        from service.context import get_context  # noqa: PLC0415 - Flask for serve only
        from service.web.app import create_app  # noqa: PLC0415

        try:
            obj["app"] = create_app(_overrides(ctx))
        except (StoreUnavailableError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        obj["context"] = get_context(obj["app"])
        # Close pooled connections when the command ends (they are not left to the GC).
        ctx.find_root().call_on_close(obj["context"].store.dispose)
    return obj["app"]


def _context(ctx: click.Context) -> Context:
    """The use-case context of this invocation: the settings and store, as the app has them.

    Built as :func:`service.web.app.create_app` builds the app's (same settings, same store
    options), without Flask.
    """
    obj = ctx.ensure_object(dict)
    if "context" not in obj:
        overrides = _overrides(ctx)
        try:
            settings = load_settings(overrides=overrides)
            store = Store(settings["DATABASE_URL"],
                          replica_urls=settings["DATABASE_REPLICA_URLS"],
                          busy_timeout=settings["BUSY_TIMEOUT"])
        except (StoreUnavailableError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        logging.getLogger("commonground").setLevel(settings["LOG_LEVEL"])
        obj["context"] = Context(store, settings)
        ctx.find_root().call_on_close(store.dispose)
    context: Context = obj["context"]
    return context


def _store(ctx: click.Context) -> Store:
    return _context(ctx).store


def ready_store(ctx: click.Context) -> Store:
    """The store, checked to answer and to be initialised (before any file is read)."""
    store = _store(ctx)
    store.check()
    if not store.is_initialised():
        msg = f"the store {store.safe_url} is not initialised: run `commonground init-db`"
        raise click.ClickException(msg)
    return store


def _emit(data: Any, *, as_json: bool, text: str) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        click.echo(text)


#: Commands defined in the other modules of this package -> their module, imported only when
#: one of its commands runs (or ``--help`` lists them): ``ingest`` never imports the maps.
LAZY_COMMANDS = {
    "ingest": "ingest", "export": "ingest",
    "recommend": "recommend", "reach": "recommend", "links-worth-making": "recommend",
    "purge": "staff", "create-user": "staff", "create-token": "staff",
    "coverage": "coverage", "suggest-sites": "coverage", "map": "coverage",
}


class _Commands(click.Group):
    """The command group: a store failure a user can fix ends in one line and exit 1.

    Every command gets this, present and future: a database that cannot be reached, one
    where ``init-db`` was never run, or a writer that held it too long (password hidden).
    The commands of :data:`LAZY_COMMANDS` are registered when first asked for.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, those not imported yet included."""
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its module imported and registered on first use."""
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module = importlib.import_module(f"service.cli.{LAZY_COMMANDS[cmd_name]}")
            module.register(self, _Context)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            obj = ctx.ensure_object(dict)
            url = (obj["context"].settings.get("DATABASE_URL") if "context" in obj else None) \
                or obj.get("database_url") or DEFAULT_SQLITE_URL
            explained = explain_db_error(exc, url)
            if explained is None:
                raise
            raise click.ClickException(str(explained)) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url", envvar="DATABASE_URL", default=None, show_envvar=True,
    help="Store to use (default: sqlite:///instance/commonground.db).",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """CommonGround: link people in recovery with their community.

    Settings come from the environment (DATABASE_URL, SECRET_KEY, COMMONGROUND_*); see
    README.md, "Configuration".
    """
    ctx.ensure_object(dict)["database_url"] = database_url


def interest_rows() -> list[dict[str, Any]]:
    """The interest taxonomy as rows of the ``interests`` table."""
    rows = []
    for t in TERMS:
        row = dataclasses.asdict(t)
        rows.append({k: list(v) if isinstance(v, tuple) else v for k, v in row.items()})
    return rows


@main.command("init-db")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def init_db(ctx: click.Context, as_json: bool) -> None:
    """Create or upgrade the schema and seed the interest taxonomy."""
    store = _store(ctx)
    try:
        revision = store.init_db()
        seeded = store.seed_interests(interest_rows())
    except StoreUnavailableError as exc:
        raise click.ClickException(str(exc)) from None
    result = {"database": store.safe_url, "backend": store.backend, "revision": revision,
              "interests": len(seeded)}
    _emit(result, as_json=as_json,
          text=f"schema {revision} ready on {store.safe_url} ({store.backend}); "
               f"{len(seeded)} interest terms")


@main.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_context
def demo(ctx: click.Context, as_json: bool) -> None:
    """Load the demo data set (deterministic, idempotent, marked as demo data)."""
    from ingest.demo import load_demo  # noqa: PLC0415 - the demo builder for this command
    from service.usecases.accounts import create_demo_users  # noqa: PLC0415

    store = _store(ctx)
    try:
        if not store.is_current():
            msg = f"the schema of {store.safe_url} is not current: run `commonground init-db`"
            raise click.ClickException(msg)
        counts = load_demo(store)
        accounts = create_demo_users(store)
    except StoreUnavailableError as exc:
        raise click.ClickException(str(exc)) from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    lines = [f"{'table':<24}{'inserted':>9}{'updated':>9}{'unchanged':>10}"]
    for table, c in counts.items():
        lines.append(f"{table:<24}{c.get('inserted', 0):>9}{c.get('updated', 0):>9}"
                     f"{c.get('unchanged', 0):>10}")
    lines.append("")
    lines.append("Demo staff accounts (demo data only; documented in README.md):")
    lines.extend(f"  {a['role']:<14}{a['email']:<34}{a['password']}" for a in accounts)
    _emit({**counts, "demo_accounts": [{k: a[k] for k in ("email", "role", "password")}
                                       for a in accounts]},
          as_json=as_json, text="\n".join(lines))


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the site (development server; use gunicorn in production, see README)."""
    # The development server speaks plain HTTP: session cookies may not demand HTTPS here
    # unless the operator says otherwise.
    os.environ.setdefault("COMMONGROUND_SECURE_COOKIES", "0")
    app = _app(ctx)
    store = _store(ctx)
    try:
        store.check()
    except StoreUnavailableError as exc:
        raise click.ClickException(str(exc)) from None
    if not store.is_current():
        msg = f"the schema of {store.safe_url} is not current: run `commonground init-db`"
        raise click.ClickException(msg)
    click.echo(f"CommonGround on http://{host}:{port}/ (store: {store.safe_url})", err=True)
    from service.cli.devserver import PrivateRequestHandler  # noqa: PLC0415 - serve only

    app.run(host=host, port=port, debug=False, use_reloader=False,
            request_handler=PrivateRequestHandler)


class _Context:
    """How other command modules reach the app and store of this invocation."""

    app = staticmethod(_app)
    store = staticmethod(_store)
    context = staticmethod(_context)
    ready_store = staticmethod(ready_store)


def __getattr__(name: str) -> Any:
    """``PrivateRequestHandler`` and ``MAX_REQUEST_LINE`` (:mod:`service.cli.devserver`), on use."""
    if name in ("PrivateRequestHandler", "MAX_REQUEST_LINE"):
        from service.cli import devserver  # noqa: PLC0415 - werkzeug on use

        return getattr(devserver, name)
    msg = f"module 'service.cli' has no attribute {name!r}"
    raise AttributeError(msg)
