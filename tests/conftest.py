"""Shared fixtures: real stores on both backends, the app, the CLI runner.

PostGIS: a throwaway server (``testing.throwaway``) is started once per session unless
``COMMONGROUND_TEST_POSTGIS_URL`` names one. Where PostGIS cannot be had, PostGIS tests skip
with the reason, except when ``CI`` is set or ``--require-postgis`` is given: then they fail,
so a green CI always means both backends were tested. The same rule holds for the servers of
the scaling tests: a primary with a streaming replica (``replication``) and ``redis-server``
(``redis_server``), started on loopback ports when first asked for.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from _browser import CHROMIUM
from _browser import load_script
from sqlalchemy import create_engine
from sqlalchemy import text

from geo.geocode import OfflineGeocoder
from service.cli import interest_rows
from store import Store
from testing.throwaway import start_postgis
from testing.throwaway import start_redis
from testing.throwaway import start_replica
from testing.throwaway import wait_replayed

BACKENDS = ("sqlite", "postgis")
# ``../shared/data`` beside the checkout (a git worktree under wt/ looks one level higher);
# COMMONGROUND_SHARED_DATA names it elsewhere.
SHARED_DATA = Path(os.environ.get("COMMONGROUND_SHARED_DATA") or next(
    (p for p in (Path(__file__).resolve().parents[i] / "shared" / "data" for i in (2, 3))
     if p.is_dir()), Path(__file__).resolve().parents[2] / "shared" / "data"))
_outcomes: Counter[tuple[str, str]] = Counter()
_db_counter = itertools.count()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-postgis", action="store_true", default=False,
        help="fail (instead of skip) tests that need PostGIS when it cannot be started",
    )


def _require_postgis(config: pytest.Config) -> bool:
    return bool(config.getoption("--require-postgis") or os.environ.get("CI"))


@pytest.fixture(scope="session")
def geocoder() -> OfflineGeocoder:
    """The offline geocoder with the shipped tables (a module may define its own)."""
    return OfflineGeocoder()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that use it skip cleanly where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def postgis_admin_url(request: pytest.FixtureRequest) -> str:
    """URL of a PostGIS server's maintenance-capable database (started here if needed)."""
    url = os.environ.get("COMMONGROUND_TEST_POSTGIS_URL")
    if url:
        return url
    try:
        server = start_postgis(dbname="cg_admin")
    except Exception as exc:
        reason = f"PostGIS unavailable: {exc}"
        if _require_postgis(request.config):
            pytest.fail(reason + " (CI/--require-postgis: PostGIS tests may not skip)")
        pytest.skip(reason)
    request.addfinalizer(server.stop)
    return server.url


def _unavailable(request: pytest.FixtureRequest, reason: str) -> None:
    if _require_postgis(request.config):
        pytest.fail(reason + " (CI/--require-postgis: server tests may not skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def replication(request: pytest.FixtureRequest) -> dict[str, object]:
    """A PostGIS primary with a streaming replica, and a migrated database on both.

    Keys: ``primary`` and ``replica`` (:class:`testing.throwaway.ThrowawayPostgis`),
    ``primary_url`` and ``replica_url`` (the ``commonground`` database on each). Tests that
    pause replay or stop the replica must put it back as they found it.
    """
    try:
        primary = start_postgis(dbname="commonground")
    except Exception as exc:
        _unavailable(request, f"PostGIS unavailable: {exc}")
    request.addfinalizer(primary.stop)
    _migrated(Store(primary.url)).dispose()
    try:
        replica = start_replica(primary)
    except Exception as exc:
        _unavailable(request, f"streaming replica could not be started: {exc}")
    request.addfinalizer(replica.stop)
    wait_replayed(primary, replica)
    return {"primary": primary, "replica": replica, "primary_url": primary.url,
            "replica_url": replica.url}


@pytest.fixture(scope="session")
def redis_server(request: pytest.FixtureRequest):
    """Debian's ``redis-server`` on a free loopback port, for the session."""
    if os.environ.get("COMMONGROUND_SKIP_REDIS") == "1":
        pytest.skip("Redis tests opted out (COMMONGROUND_SKIP_REDIS=1)")
    try:
        server = start_redis()
    except Exception as exc:
        _unavailable(request, f"Redis unavailable: {exc}")
    request.addfinalizer(server.stop)
    return server


def _postgis_database(admin_url: str, name: str, *, template: str | None = None) -> str:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        tmpl = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{tmpl}'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _migrated(store: Store) -> Store:
    store.init_db()
    store.seed_interests(interest_rows())
    return store


@pytest.fixture(scope="session")
def template_urls(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """Migrated, taxonomy-seeded template databases to copy per test (one per backend)."""
    urls: dict[str, str] = {}
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrated(Store(f"sqlite:///{path}")).dispose()
    urls["sqlite"] = str(path)
    return urls


@pytest.fixture(scope="session")
def postgis_template(postgis_admin_url: str) -> str:
    """Name of a migrated, seeded PostGIS template database."""
    url = _postgis_database(postgis_admin_url, "cg_template")
    _migrated(Store(url)).dispose()
    return "cg_template"


def _fresh_store(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Store:
    if backend == "sqlite":
        templates = request.getfixturevalue("template_urls")
        path = tmp_path / "store.db"
        shutil.copyfile(templates["sqlite"], path)
        store = Store(f"sqlite:///{path}")
    else:
        admin = request.getfixturevalue("postgis_admin_url")
        template = request.getfixturevalue("postgis_template")
        url = _postgis_database(admin, f"cg_test_{next(_db_counter)}", template=template)
        store = Store(url)
    request.addfinalizer(store.dispose)
    return store


@pytest.fixture
def other_store(request: pytest.FixtureRequest, store: Store, tmp_path: Path) -> Store:
    """A second fresh store of ``store``'s backend (to load a file two ways and compare)."""
    backend = "sqlite" if store.engine.dialect.name == "sqlite" else "postgis"
    folder = tmp_path / "other"
    folder.mkdir()
    return _fresh_store(request, backend, folder)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """A fresh, migrated, taxonomy-seeded store on each backend."""
    return _fresh_store(request, request.param, tmp_path)


@pytest.fixture
def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """A fresh migrated SQLite store (for tests about one backend only)."""
    return _fresh_store(request, "sqlite", tmp_path)


@pytest.fixture
def postgis_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """A fresh migrated PostGIS store (for PostGIS-only checks)."""
    return _fresh_store(request, "postgis", tmp_path)


@pytest.fixture(scope="session")
def demo_stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Store]:
    """The demo data set loaded once per session on each available backend (read-only!)."""
    from ingest.demo import load_demo

    stores: dict[str, Store] = {}
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    stores["sqlite"] = _migrated(Store(f"sqlite:///{path}"))
    load_demo(stores["sqlite"])
    try:
        admin = request.getfixturevalue("postgis_admin_url")
    except pytest.skip.Exception:
        return stores
    url = _postgis_database(admin, "cg_demo")
    stores["postgis"] = _migrated(Store(url))
    load_demo(stores["postgis"])
    for s in stores.values():
        request.addfinalizer(s.dispose)
    return stores


@pytest.fixture(params=BACKENDS)
def demo_store(request: pytest.FixtureRequest, demo_stores: dict[str, Store]) -> Store:
    """The session's demo store on each backend (read-only)."""
    if request.param not in demo_stores:
        request.getfixturevalue("postgis_admin_url")  # skips or fails with the reason
    return demo_stores[request.param]


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium through Playwright, with the offline map helpers' flags.

    Skips (saying what to install) without Playwright, Chromium or the ``xstatic-*`` copies of
    the map libraries. One per module: the sync API must not stay open across modules.
    """
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    shots = load_script("screenshots")
    missing = shots.missing_packages()
    if missing:
        pytest.skip(f"offline copies of the map libraries are missing: pip install "
                    f"{' '.join(missing)}")
    with sync_api.sync_playwright() as pw:
        # Without libfaketime (the suite runs under `faketime` to try other days; Chromium
        # cannot run with it preloaded), with everything else of this environment.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=shots.CHROMIUM_ARGS,
                                      env=env)
        yield launched
        launched.close()


@pytest.fixture
def app(sqlite_store: Store, tmp_path: Path):
    from service import create_app
    from service import get_store

    app = create_app({
        "TESTING": True,
        "DATABASE_URL": sqlite_store.url,
        "SECRET_KEY": "test",
        "INSTANCE_PATH": str(tmp_path),
    })
    yield app
    get_store(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    for backend in BACKENDS:
        if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid or \
                f"-{backend}-" in report.nodeid:
            _outcomes[(backend, report.outcome)] += 1


def pytest_terminal_summary(terminalreporter) -> None:
    if not _outcomes:
        return
    terminalreporter.section("store backends")
    for backend in BACKENDS:
        parts = [f"{_outcomes[(backend, o)]} {o}" for o in ("passed", "failed", "skipped")
                 if _outcomes[(backend, o)]]
        terminalreporter.write_line(f"{backend:8} {', '.join(parts) or 'no tests'}")


@pytest.fixture
def smtp():
    """A real SMTP server on a loopback port: ``smtp.settings`` for the app, ``smtp.inbox``."""
    from _smtp import start_smtp

    controller, inbox = start_smtp()
    inbox.settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port,
                      "MAIL_SENDER": "CommonGround <hello@cg.example>"}
    yield inbox
    controller.stop()


@pytest.fixture
def watch():
    """A recorder of every request, page error and CSP report (scripts/page_screenshots.py)."""
    return load_script("page_screenshots").Watch()


@pytest.fixture
def open_page(browser, watch):
    """``open_page(**context_options)``: a new watched page in a new browser context."""
    desktop = load_script("page_screenshots").DESKTOP
    contexts = []

    def opener(**options):
        context = watch.route(browser.new_context(**{"viewport": desktop, **options}))
        contexts.append(context)
        return watch.attach(context.new_page())

    yield opener
    for context in contexts:
        context.close()
