"""Every setting of CommonGround, its environment variable and its default.

Settings are read in :func:`service.create_app`: defaults, then the environment, then the
``test_config`` mapping. Nothing reads the environment at import time.

``DATABASE_URL``
    Default ``sqlite:///<instance>/commonground.db``. Where the store lives: a SQLite file or
    ``postgresql+psycopg://user:pass@host/db`` (PostGIS).
``DATABASE_REPLICA_URLS``
    Default empty. Comma-separated ``postgresql+psycopg://`` URLs of streaming replicas of
    ``DATABASE_URL``: reads that may be a second stale (recommendations, listings, coverage,
    maps) go to them; a replica that fails is left out and its reads go to the primary.
``REDIS_URL``
    Default empty (one machine: in-process counters, cookie-only sessions). ``redis://host:
    6379/0``: sign-in rate-limit counters, server-side staff sessions and computed coverage
    answers shared by every worker and host.
``COMMONGROUND_RESULT_CACHE_TTL``
    Default ``3600``. Seconds a computed answer (coverage, sites, map pages) is kept in Redis
    for every worker when ``REDIS_URL`` is set; ``0`` keeps answers per worker only.
``SECRET_KEY``
    Default: random per process (development only). Signs sessions and CSRF tokens; set it in
    production, the same on every worker.
``COMMONGROUND_GEOCODER``
    Default ``offline`` (gazetteer and postcode tables, no network); or ``nominatim``.
``COMMONGROUND_DATA_DIR``
    Default ``<instance>``. Folder for caches and user-loaded reference data.
``COMMONGROUND_SERVICE_AREA``
    Default ``GB``. Named area or ``west,south,east,north`` box that ingest accepts.
``COMMONGROUND_DEVOLVE_MAX_KM``
    Default ``40``. Farthest (great-circle km) an organisation may be to devolve a new group.
``COMMONGROUND_LOG_LEVEL``
    Default ``INFO``. Log level of the service.
``COMMONGROUND_BUSY_TIMEOUT``
    Default ``30``. Seconds a SQLite writer (a load, a page or API edit) waits for the one
    before it; then it fails with "another load is running".
``RATELIMIT_STORAGE_URI``
    Default ``REDIS_URL`` when set, else ``memory://`` (one process). Where sign-in
    rate-limit counters live; with several workers or hosts use a shared one, e.g.
    ``redis://host:6379``.
``COMMONGROUND_LOGIN_RATE_LIMIT``
    Default ``5 per minute; 20 per hour``. Failed sign-ins allowed per client address.
``COMMONGROUND_LOGIN_ACCOUNT_RATE_LIMIT``
    Default ``3 per minute; 6 per 10 minutes; 10 per hour; 20 per day``. Failed sign-ins
    allowed for one account from one client address: growing delays. There is no limit per
    account alone, so that no stranger can lock a real user out.
``COMMONGROUND_ANONYMOUS_RATE_LIMIT``
    Default ``60 per minute``. Requests per client address to the computed coverage answers
    (``/api/coverage``, ``/api/coverage/what-if``, ``/api/sites/suggest``, ``/maps/coverage``)
    without a sign-in or API token.
``COMMONGROUND_SECURE_COOKIES``
    Default on (off in debug and testing). ``0`` allows session cookies over plain HTTP.
``COMMONGROUND_MAP_TILES``
    Default ``openstreetmap`` (OpenStreetMap's tile server, with its attribution). Where map
    tiles come from: ``none`` draws maps on a plain background (no request leaves the site),
    or an ``https://`` URL template with ``{z}``, ``{x}``, ``{y}`` (``{s}`` for subdomains),
    optionally followed by ``|`` and the attribution. A tile server learns the address of
    each viewer and the area they look at; the site's Content-Security-Policy allows images
    from that host only.
``COMMONGROUND_MAX_BODY``
    Default ``1048576`` (1 MiB). Largest request body the site reads, chunked or not; the
    partner API takes at most 64 KiB. Larger bodies get 413.

``COMMONGROUND_SMTP_HOST``
    Default empty: no mail server; each email is written as an ``.eml`` file under
    ``COMMONGROUND_MAIL_OUTBOX``. Otherwise the SMTP server that sends the service's email.
``COMMONGROUND_SMTP_PORT``
    Default ``25`` (``465`` with ``tls``). Port of the SMTP server.
``COMMONGROUND_SMTP_SECURITY``
    Default ``none``. ``starttls`` (upgrade a plain connection, usually port 587) or ``tls``
    (TLS from the start, usually port 465).
``COMMONGROUND_SMTP_USER``
    Default empty (no sign-in). User name for the SMTP server.
``COMMONGROUND_SMTP_PASSWORD``
    Default empty. Password for the SMTP server (never logged).
``COMMONGROUND_MAIL_SENDER``
    Default ``CommonGround <no-reply@commonground.invalid>``. The From address of every email.
``COMMONGROUND_MAIL_OUTBOX``
    Default ``<instance>/outbox``. Folder for ``.eml`` files when no SMTP host is set.
``COMMONGROUND_INTEREST_RETENTION_DAYS``
    Default ``30``. Days after which a peer's contact details on an interest are deleted,
    if the partner has not marked it handled before.
``COMMONGROUND_PASSWORD_RESET_TTL``
    Default ``3600`` (1 hour). Seconds a password-reset link works (300 to 86400).
``COMMONGROUND_EMAIL_VERIFY_TTL``
    Default ``172800`` (48 hours). Seconds the link that confirms a new account's email
    works (300 to 1209600).
``COMMONGROUND_ACCOUNT_RATE_LIMIT``
    Default ``5 per hour; 20 per day``. Per client address: registrations and password-reset
    requests, and failed uses of an emailed link.
``COMMONGROUND_PUBLIC_URL``
    Default empty (links use the address of the request). Base URL of the site for links
    in emails written outside a request, e.g. ``https://commonground.example``.

``<instance>`` is ``./instance`` in the working directory.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from maps.tiles import tile_source
from service.usecases.mail import MailSettings

if TYPE_CHECKING:
    from collections.abc import Mapping

#: setting name -> (environment variable, documented default, one-line meaning)
SETTINGS: dict[str, tuple[str, str, str]] = {
    "DATABASE_URL": (
        "DATABASE_URL", "sqlite:///<instance>/commonground.db",
        "SQLite file or postgresql+psycopg:// URL of a PostGIS database",
    ),
    "DATABASE_REPLICA_URLS": (
        "DATABASE_REPLICA_URLS", "", "comma-separated URLs of streaming read replicas",
    ),
    "REDIS_URL": (
        "REDIS_URL", "", "Redis for shared rate limits, server-side sessions and answers",
    ),
    "RESULT_CACHE_TTL": (
        "COMMONGROUND_RESULT_CACHE_TTL", "3600",
        "seconds computed answers are shared through Redis (0 = per worker)",
    ),
    "SECRET_KEY": ("SECRET_KEY", "random per process", "signs sessions and CSRF tokens"),
    "GEOCODER": ("COMMONGROUND_GEOCODER", "offline", "offline or nominatim"),
    "DATA_DIR": ("COMMONGROUND_DATA_DIR", "<instance>", "caches and user-loaded reference data"),
    "SERVICE_AREA": (
        "COMMONGROUND_SERVICE_AREA", "GB", "named area or west,south,east,north box for ingest",
    ),
    "DEVOLVE_MAX_KM": (
        "COMMONGROUND_DEVOLVE_MAX_KM", "40", "farthest km an organisation devolves a group",
    ),
    "LOG_LEVEL": ("COMMONGROUND_LOG_LEVEL", "INFO", "log level of the service"),
    "BUSY_TIMEOUT": (
        "COMMONGROUND_BUSY_TIMEOUT", "30",
        "seconds a SQLite writer (a load, a page edit) waits for the one before it",
    ),
    "RATELIMIT_STORAGE_URI": (
        "RATELIMIT_STORAGE_URI", "REDIS_URL or memory://",
        "where sign-in rate-limit counters live",
    ),
    "LOGIN_RATE_LIMIT": (
        "COMMONGROUND_LOGIN_RATE_LIMIT", "5 per minute; 20 per hour",
        "failed sign-ins per client address",
    ),
    "LOGIN_ACCOUNT_RATE_LIMIT": (
        "COMMONGROUND_LOGIN_ACCOUNT_RATE_LIMIT",
        "3 per minute; 6 per 10 minutes; 10 per hour; 20 per day",
        "failed sign-ins for one account from one client address",
    ),
    "ANONYMOUS_RATE_LIMIT": (
        "COMMONGROUND_ANONYMOUS_RATE_LIMIT", "60 per minute",
        "anonymous requests per address to the computed coverage answers",
    ),
    "SECURE_COOKIES": (
        "COMMONGROUND_SECURE_COOKIES", "auto", "Secure flag on session cookies (0 = off)",
    ),
    "SMTP_HOST": ("COMMONGROUND_SMTP_HOST", "", "SMTP server; empty writes .eml files"),
    "SMTP_PORT": ("COMMONGROUND_SMTP_PORT", "25", "port of the SMTP server"),
    "SMTP_SECURITY": ("COMMONGROUND_SMTP_SECURITY", "none", "none, starttls or tls"),
    "SMTP_USER": ("COMMONGROUND_SMTP_USER", "", "user name for the SMTP server"),
    "SMTP_PASSWORD": ("COMMONGROUND_SMTP_PASSWORD", "", "password for the SMTP server"),
    "MAIL_SENDER": (
        "COMMONGROUND_MAIL_SENDER", "CommonGround <no-reply@commonground.invalid>",
        "From address of every email",
    ),
    "MAIL_OUTBOX": ("COMMONGROUND_MAIL_OUTBOX", "<instance>/outbox",
                    ".eml files when no SMTP host is set"),
    "INTEREST_RETENTION_DAYS": (
        "COMMONGROUND_INTEREST_RETENTION_DAYS", "30",
        "days before a peer's contact details on an interest are deleted",
    ),
    "PASSWORD_RESET_TTL": (
        "COMMONGROUND_PASSWORD_RESET_TTL", "3600", "seconds a password-reset link works",
    ),
    "EMAIL_VERIFY_TTL": (
        "COMMONGROUND_EMAIL_VERIFY_TTL", "172800",
        "seconds the link confirming a new account's email works",
    ),
    "ACCOUNT_RATE_LIMIT": (
        "COMMONGROUND_ACCOUNT_RATE_LIMIT", "5 per hour; 20 per day",
        "registrations, reset requests and failed link uses per client address",
    ),
    "PUBLIC_URL": ("COMMONGROUND_PUBLIC_URL", "", "base URL of the site for links in email"),
    "MAP_TILES": (
        "COMMONGROUND_MAP_TILES", "openstreetmap",
        "map tiles: openstreetmap, none, or an https:// URL template[|attribution]",
    ),
    "MAX_BODY": (
        "COMMONGROUND_MAX_BODY", "1048576", "largest request body in bytes (413 past it)",
    ),
}

GEOCODERS = ("offline", "nominatim")


def default_instance_path() -> Path:
    """``./instance`` in the working directory: where the embedded store and caches live."""
    return Path.cwd() / "instance"


def _retention_days(raw: Any) -> int:
    try:
        days = int(raw)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 365:  # noqa: PLR2004
        msg = (f"COMMONGROUND_INTEREST_RETENTION_DAYS={raw!r} is not a number of days from "
               "1 to 365")
        raise ValueError(msg)
    return days


def _seconds(name: str, raw: Any, lo: int, hi: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if not lo <= value <= hi:
        msg = f"COMMONGROUND_{name}={raw!r} is not a number of seconds from {lo} to {hi}"
        raise ValueError(msg)
    return value


def load_settings(  # noqa: PLR0912, PLR0915 - one check per setting, in order
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    instance_path: Path | None = None,
) -> dict[str, Any]:
    """Resolve the settings: defaults, then ``environ``, then ``overrides``.

    Raises
    ------
    ValueError
        When a setting has a value outside what it allows, naming it and the choices.
    """
    env = os.environ if environ is None else environ
    instance = instance_path or default_instance_path()
    settings: dict[str, Any] = {
        "DATABASE_URL": f"sqlite:///{instance / 'commonground.db'}",
        "DATABASE_REPLICA_URLS": "",
        "REDIS_URL": "",
        "RESULT_CACHE_TTL": 3600,
        "SECRET_KEY": None,
        "GEOCODER": "offline",
        "DATA_DIR": str(instance),
        "SERVICE_AREA": "GB",
        "LOG_LEVEL": "INFO",
        "MAIL_OUTBOX": str(instance / "outbox"),
        "INTEREST_RETENTION_DAYS": 30,
        "MAP_TILES": "openstreetmap",
        "MAX_BODY": 1024 * 1024,
        "BUSY_TIMEOUT": "30",
        "DEVOLVE_MAX_KM": 40.0,
        "ANONYMOUS_RATE_LIMIT": "60 per minute",
        "PASSWORD_RESET_TTL": 3600,
        "EMAIL_VERIFY_TTL": 172_800,
        "ACCOUNT_RATE_LIMIT": "5 per hour; 20 per day",
    }
    for name, (var, _default, _meaning) in SETTINGS.items():
        if env.get(var):
            settings[name] = env[var]
    settings.update(overrides or {})
    replicas = settings["DATABASE_REPLICA_URLS"]
    if isinstance(replicas, str):
        settings["DATABASE_REPLICA_URLS"] = [u.strip() for u in replicas.split(",") if u.strip()]
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = secrets.token_hex(32)
        settings["SECRET_KEY_IS_RANDOM"] = True
    try:
        settings["BUSY_TIMEOUT"] = float(settings["BUSY_TIMEOUT"])
    except (TypeError, ValueError):
        settings["BUSY_TIMEOUT"] = -1.0
    if not 0 <= settings["BUSY_TIMEOUT"] <= 3600:  # noqa: PLR2004 - an hour at most
        msg = "COMMONGROUND_BUSY_TIMEOUT must be a number of seconds from 0 to 3600"
        raise ValueError(msg)
    try:
        settings["DEVOLVE_MAX_KM"] = float(settings["DEVOLVE_MAX_KM"])
        if not 0 < settings["DEVOLVE_MAX_KM"] <= 500:  # noqa: PLR2004
            raise ValueError
    except (TypeError, ValueError):
        msg = (f"COMMONGROUND_DEVOLVE_MAX_KM={settings['DEVOLVE_MAX_KM']!r} must be a "
               f"number of km above 0 and at most 500")
        raise ValueError(msg) from None
    try:
        settings["RESULT_CACHE_TTL"] = int(settings["RESULT_CACHE_TTL"])
        if settings["RESULT_CACHE_TTL"] < 0:
            raise ValueError
    except (TypeError, ValueError):
        msg = (f"COMMONGROUND_RESULT_CACHE_TTL={settings['RESULT_CACHE_TTL']!r} must be a "
               f"whole number of seconds, 0 or more")
        raise ValueError(msg) from None
    if settings["GEOCODER"] not in GEOCODERS:
        msg = (
            f"COMMONGROUND_GEOCODER={settings['GEOCODER']!r} is not known; "
            f"choose one of {', '.join(GEOCODERS)}"
        )
        raise ValueError(msg)
    settings["INTEREST_RETENTION_DAYS"] = _retention_days(settings["INTEREST_RETENTION_DAYS"])
    for name, lo, hi in (("PASSWORD_RESET_TTL", 300, 86_400),
                         ("EMAIL_VERIFY_TTL", 300, 1_209_600)):
        settings[name] = _seconds(name, settings[name], lo, hi)
    MailSettings.from_settings(settings)  # a bad SMTP setting fails at start, not at send
    try:
        tile_source(settings["MAP_TILES"])
    except ValueError as exc:
        msg = f"COMMONGROUND_MAP_TILES: {exc}"
        raise ValueError(msg) from None
    raw = settings["MAX_BODY"]
    try:
        settings["MAX_BODY"] = int(raw)
    except (TypeError, ValueError):
        settings["MAX_BODY"] = -1
    if settings["MAX_BODY"] < 1:
        msg = f"COMMONGROUND_MAX_BODY must be a whole number of bytes above 0, got {raw!r}"
        raise ValueError(msg)
    return settings
