"""The ``commonground`` command line: the same settings and store as the web app.

Exit status: 0 on success, 2 on bad usage (click), 1 on failure (a one-line message, never a
traceback, for the failures a user can fix).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from http import HTTPStatus
from typing import TYPE_CHECKING
from typing import Any

import click
from werkzeug.serving import WSGIRequestHandler

from ingest.demo import load_demo
from matching.taxonomy import TERMS
from service.cli import coverage as coverage_cli
from service.cli import ingest as ingest_cli
from service.cli import recommend as recommend_cli
from service.cli import staff as staff_cli
from service.context import get_context
from service.context import get_store
from service.usecases.accounts import create_demo_users
from service.web.app import create_app
from store import DEFAULT_SQLITE_URL
from store import Store
from store import StoreUnavailableError
from store import explain_db_error

if TYPE_CHECKING:
    from service.usecases.context import Context


def _app(ctx: click.Context) -> Any:
    obj = ctx.ensure_object(dict)
    if "app" not in obj:
        overrides = {"DATABASE_URL": obj["database_url"]} if obj.get("database_url") else None
        try:
            obj["app"] = create_app(overrides)
        except (StoreUnavailableError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        # Close pooled connections when the command ends (they are not left to the GC).
        ctx.find_root().call_on_close(get_store(obj["app"]).dispose)
    return obj["app"]


def _store(ctx: click.Context) -> Store:
    return get_store(_app(ctx))


def _context(ctx: click.Context) -> Context:
    return get_context(_app(ctx))


#: Longest request line the development server reads (as gunicorn: gunicorn.conf.py).
MAX_REQUEST_LINE = 4094
def ready_store(ctx: click.Context) -> Store:
    """The store, checked to answer and to be initialised (before any file is read)."""
    store = _store(ctx)
    store.check()
    if not store.is_initialised():
        msg = f"the store {store.safe_url} is not initialised: run `commonground init-db`"
        raise click.ClickException(msg)
    return store


class PrivateRequestHandler(WSGIRequestHandler):
    """Access log without query strings or client addresses.

    A peer's search (``?postcode=...``, ``?lat=...``) says where they are; the log keeps only
    the method, the path and the status. The app itself still sees the real client address
    (``REMOTE_ADDR``), which the sign-in throttle keys on: only the log leaves it out.
    """

    def log(self, type: str, message: str, *args: Any) -> None:
        """Log ``message`` without the client's address."""
        logging.getLogger("werkzeug").log(
            logging.getLevelName(type.upper()) if isinstance(type, str) else logging.INFO,
            "- - [%s] %s", self.log_date_time_string(), message % args)

    def handle_one_request(self) -> None:
        """Read one request; a request line past 4,094 bytes is a 414, not a crash.

        As :meth:`http.server.BaseHTTPRequestHandler.handle_one_request`, with gunicorn's
        limit on the request line instead of 64 KiB (past which werkzeug's log line failed
        and logged a traceback naming the client). Header lines past 64 KiB get 431 from
        :mod:`http.client`'s parser.
        """
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > MAX_REQUEST_LINE:
            self.requestline, self.request_version, self.command, self.path = "", "", "", ""
            self.close_connection = True
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG,
                            f"the request line is longer than {MAX_REQUEST_LINE} bytes")
            return
        if not self.parse_request():
            return
        self.run_wsgi()

    def log_error(self, format: str, *args: Any) -> None:
        """Log errors of the HTTP layer (bad requests) without the client's address."""
        self.log("error", format, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log ``METHOD /path STATUS`` with the query string cut off."""
        del size
        path = (getattr(self, "path", "") or "").split("?", 1)[0]
        self.log("info", '"%s %s" %s', self.command, path, code)


def _emit(data: Any, *, as_json: bool, text: str) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        click.echo(text)


class _Commands(click.Group):
    """The command group: a store failure a user can fix ends in one line and exit 1.

    Every command gets this, present and future: a database that cannot be reached, one
    where ``init-db`` was never run, or a writer that held it too long (password hidden).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            obj = ctx.ensure_object(dict)
            url = (obj["app"].config.get("DATABASE_URL") if "app" in obj else None) \
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
    app.run(host=host, port=port, debug=False, use_reloader=False,
            request_handler=PrivateRequestHandler)


class _Context:
    """How other command modules reach the app and store of this invocation."""

    app = staticmethod(_app)
    store = staticmethod(_store)
    context = staticmethod(_context)
    ready_store = staticmethod(ready_store)


ingest_cli.register(main, _Context)
recommend_cli.register(main, _Context)
staff_cli.register(main, _Context)
coverage_cli.register(main, _Context)

