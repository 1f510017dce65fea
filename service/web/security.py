"""Sessions, CSRF, the sign-in rate limit, cookie flags and security headers of the app.

:func:`init_app` (called by :func:`service.web.app.create_app`) sets up, per app:

* Flask-Login sessions, users loaded from the store on each request
  (:mod:`service.web.auth`).
* Flask-WTF CSRF on every unsafe request (POST, PUT, PATCH, DELETE), except JSON API calls
  authenticated by a bearer token: a browser cannot attach that header to a cross-site
  request, and those calls never read the session cookie.
* Flask-Limiter on ``POST /login``, counting failed attempts only (a successful sign-in
  costs nothing), so that no stranger can lock a real user out:

  - per client address (``LOGIN_RATE_LIMIT``, all accounts together): one address cannot
    guess at many accounts;
  - per account *and* client address (``LOGIN_ACCOUNT_RATE_LIMIT``): growing delays for
    one address guessing at one account (3 a minute, then 6 in 10 minutes, 10 an hour,
    20 a day by default).

  There is deliberately no limit per account alone: that would let anyone lock a lead out
  by typing wrong passwords for their email from a few addresses. Guessing from many
  addresses is instead made hopeless by the password policy (zxcvbn score 3 or more, no
  common password), and every failure is logged (without the address) for monitoring.
  Past a limit the answer is 429 with ``Retry-After``, for that address only. Counters live
  in ``RATELIMIT_STORAGE_URI``: ``memory://`` (one process: development) or Redis
  (``REDIS_URL``) so that every gunicorn worker and host shares them. Counters unreachable:
  sign-in answers 503 (fails closed); the anonymous limit on computed coverage answers
  (``COMMONGROUND_ANONYMOUS_RATE_LIMIT``) fails open (the answer is served uncounted, one
  rate-limited log line), as peers' pages never depend on Redis.
* Cookie flags: ``HttpOnly``, ``SameSite=Lax``, and ``Secure`` unless the app is in debug or
  testing mode (``COMMONGROUND_SECURE_COOKIES=0`` turns it off for plain-HTTP hosts).

Settings (``app.config`` first, then the environment, then the default):

``RATELIMIT_STORAGE_URI``
    ``REDIS_URL`` when set, else ``memory://``. Where rate-limit counters live.
``COMMONGROUND_LOGIN_RATE_LIMIT``
    ``5 per minute; 20 per hour``. Failed sign-ins allowed per client address.
``COMMONGROUND_LOGIN_ACCOUNT_RATE_LIMIT``
    ``3 per minute; 6 per 10 minutes; 10 per hour; 20 per day``. Failed sign-ins allowed
    for one account from one client address (growing delays).
``COMMONGROUND_ACCOUNT_RATE_LIMIT``
    ``5 per hour; 20 per day``. Per client address: registrations and password-reset
    requests (every POST: each may send an email), and failed uses of an emailed link's
    token (verification, reset). Answers to both never say whether an email has an account.
``COMMONGROUND_SECURE_COOKIES``
    ``auto``: Secure cookies unless debug/testing; ``1`` always; ``0`` never.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
import os
import time
from typing import TYPE_CHECKING
from typing import Any

from flask import current_app
from flask import g
from flask import jsonify
from flask import render_template
from flask import request
from flask_limiter import Limiter
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from limits.errors import StorageError
from werkzeug.exceptions import RequestEntityTooLarge

from service.usecases.errors import BadParameterError
from service.usecases.errors import error_body
from service.web.assets import csp_nonce
from service.web.assets import tile_origin
from service.web.auth import bearer_token
from service.web.auth import load_user
from service.web.auth import render_login
from service.web.auth import unauthorized
from service.web.logs import ThrottledLog
from service.web.shared import SharedStateError
from service.web.shared import limiter_storage_options

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

#: Blueprints whose views authenticate by bearer token only (never by session cookie).
TOKEN_BLUEPRINTS = frozenset({"api_partner"})
#: Largest body the token-authenticated JSON API reads (64 KiB), chunked or not.
API_MAX_BODY = 64 * 1024
DEFAULTS = {
    "RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", "memory://"),  # or REDIS_URL
    "LOGIN_RATE_LIMIT": ("COMMONGROUND_LOGIN_RATE_LIMIT", "5 per minute; 20 per hour"),
    "LOGIN_ACCOUNT_RATE_LIMIT": ("COMMONGROUND_LOGIN_ACCOUNT_RATE_LIMIT",
                                 "3 per minute; 6 per 10 minutes; 10 per hour; 20 per day"),
    "SECURE_COOKIES": ("COMMONGROUND_SECURE_COOKIES", "auto"),
}
#: The demo accounts ``commonground demo`` creates (documented in the README; demo only).


def _setting(app: Flask, name: str) -> str:
    env, default = DEFAULTS[name]
    value = app.config.get(name) or os.environ.get(env) or default
    return str(value)


def _secure_cookies(app: Flask) -> bool:
    value = _setting(app, "SECURE_COOKIES").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    if value != "auto":
        msg = f"COMMONGROUND_SECURE_COOKIES={value!r} is not known; choose auto, 1 or 0"
        raise ValueError(msg)
    return not (app.debug or app.testing)


def _account_key() -> str:
    # The email is hashed: counters (in Redis, say) hold no addresses of staff or clients
    # in clear.
    email = request.form.get("email", "").strip().lower()[:254]
    digest = hashlib.sha256(f"{email}|{get_remote_address()}".encode()).hexdigest()[:32]
    return f"account-address:{digest}"


EXPENSIVE_ENDPOINTS = ("api_coverage.coverage", "api_coverage.sites_suggest",
                       "api_coverage.what_if", "maps_views.coverage_page")
"""Views that compute coverage: limited per client address for anonymous clients
(``COMMONGROUND_ANONYMOUS_RATE_LIMIT``)."""


_UNCOUNTED = ThrottledLog(logging.getLogger("commonground.security"), interval_s=30.0)


def _fails_open(limited: Any, view: Any) -> Any:
    """``limited`` (``view`` under an anonymous limit), or ``view`` when counters are down."""
    @functools.wraps(view)
    def answer(*args: Any, **kwargs: Any) -> Any:
        try:
            return limited(*args, **kwargs)
        except StorageError as exc:
            _UNCOUNTED.log(logging.WARNING, "anonymous-limit",
                           f"rate-limit counters unreachable ({exc}): computed answers are "
                           "served uncounted")
            return view(*args, **kwargs)

    return answer


def _signed_in() -> bool:
    return bool(current_user.is_authenticated) or bearer_token() is not None


def _login_failed(_response: Any) -> bool:
    return bool(g.get("login_failed"))


#: Registration, password reset and email verification: limited per client address
#: (``COMMONGROUND_ACCOUNT_RATE_LIMIT``).
ACCOUNT_ENDPOINTS = ("onboarding.register", "onboarding.forgot_password",
                     "onboarding.verify_email", "onboarding.reset_password")
_EVERY_POST_COUNTS = frozenset(("onboarding.register", "onboarding.forgot_password"))


def _token_failed(_response: Any) -> bool:
    return bool(g.get("token_failed"))


def _too_many(exc: RateLimitExceeded) -> ResponseReturnValue:
    limiter: Limiter = current_app.extensions["commonground.limiter"]
    limit = limiter.current_limit
    retry = max(1, int((limit.reset_at if limit else time.time() + 60) - time.time()))
    headers = {"Retry-After": str(retry)}
    if request.path.startswith("/api/"):
        body = error_body(429, "too_many_requests", f"try again in {retry} seconds")
        return jsonify(body), 429, headers
    if request.endpoint == "peer.express_interest":
        page = render_template("error.html", status=429, title="Too many requests",
                               detail="You have said you are interested many times in a short "
                                       "while. Please try again later, or ask at your meeting.")
        return page, 429, headers
    if request.endpoint in ACCOUNT_ENDPOINTS:
        minutes = max(1, round(retry / 60))
        page = render_template("error.html", status=429, title="Too many requests",
                               detail=f"There have been many such requests from your "
                                      f"address in a short while. Please wait {minutes} "
                                      f"minute{'s' if minutes != 1 else ''} and try again.")
        return page, 429, headers
    if request.endpoint in EXPENSIVE_ENDPOINTS:
        return (f"Too many requests: try again in {retry} seconds, or sign in.", 429,
                headers | {"Content-Type": "text/plain; charset=utf-8"})
    minutes = max(1, round(retry / 60))
    message = (f"Too many failed sign-in attempts. Wait {minutes} minute"
               f"{'s' if minutes != 1 else ''} and try again.")
    body, status = render_login(429, error=message, email=request.form.get("email", ""))
    current_app.logger.warning("sign-in rate limit reached: %s", exc.description)
    return body, status, headers


def content_security_policy(nonce: str, tiles: str | None) -> str:
    """The Content-Security-Policy of every response.

    Scripts only from this site and with this response's nonce (no ``'unsafe-inline'``, no
    ``eval``); styles from this site and inline (folium's maps style elements inline);
    images from this site, ``data:`` and the tile server; no plugins; no framing by anyone;
    forms post only here. Map frames (``<iframe srcdoc>``) inherit this policy.

    Examples
    --------
    >>> policy = content_security_policy("abc", "https://tile.openstreetmap.org")
    >>> "script-src 'self' 'nonce-abc'" in policy, "frame-ancestors 'none'" in policy
    (True, True)
    """
    images = " ".join(p for p in ("'self'", "data:", tiles) if p)
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


PERMISSIONS_POLICY = ("geolocation=(self), camera=(), microphone=(), payment=(), usb=(), "
                      "interest-cohort=()")
HSTS = "max-age=31536000; includeSubDomains"


def _over_https() -> bool:
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.is_secure or forwarded == "https"


def _check_counters() -> None:
    # Sign-in fails closed: without counters, guessing would be unthrottled. (A storage
    # error later in the request is a 503 too: service.web.errors.)
    if request.endpoint == "auth.login" and request.method == "POST":
        limiter: Limiter = current_app.extensions["commonground.limiter"]
        if not limiter.storage.check():
            msg = "sign-in attempt counters unreachable: sign-in is paused"
            raise SharedStateError(msg)


def _security_headers(response: Any) -> Any:
    """The one place where every response gets its security headers."""
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(
        csp_nonce(), tile_origin(current_app))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers["X-Frame-Options"] = "DENY"
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if _over_https():
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.blueprint in {"auth", "partner", "admin", "api_partner"}:
        headers.setdefault("Cache-Control", "no-store")
    return response


#: Blueprints whose GET answers are public listings that change only with the data.
CACHEABLE_BLUEPRINTS = frozenset({"api", "openapi"})
#: How long a browser or proxy may reuse a public listing without asking again (seconds).
PUBLIC_MAX_AGE = 300


def _cache_public_json(response: Any) -> Any:
    """ETag and ``Cache-Control: public`` on public JSON listings; 304 when unchanged."""
    if (request.method == "GET" and response.status_code == 200  # noqa: PLR2004
            and request.blueprint in CACHEABLE_BLUEPRINTS and response.is_json
            and not response.direct_passthrough
            and "no-store" not in response.headers.get("Cache-Control", "")):
        response.add_etag()
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_MAX_AGE
        response.make_conditional(request)
    return response


def _limit_body() -> None:
    # MAX_CONTENT_LENGTH alone compares the Content-Length header, and a chunked body has
    # none: werkzeug then silently cuts the stream at the limit (a truncated body that
    # fails to parse, after the whole upload was accepted). So a body without a length is
    # read here, up to the limit and one byte more: past it, 413; within it, the request
    # goes on with the body as a buffer of known length.
    limit = int(current_app.config.get("MAX_BODY", 1024 * 1024))
    if request.blueprint in TOKEN_BLUEPRINTS:
        limit = min(limit, API_MAX_BODY)
    request.max_content_length = limit
    environ = request.environ
    length = environ.get("CONTENT_LENGTH")
    if length:
        if request.content_length is not None and request.content_length > limit:
            msg = f"the body is larger than {limit} bytes"
            raise RequestEntityTooLarge(msg)
        return
    if "wsgi.input_terminated" in environ or "chunked" in environ.get(
            "HTTP_TRANSFER_ENCODING", "").lower():
        body = environ["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            msg = f"the body is larger than {limit} bytes"
            raise RequestEntityTooLarge(msg)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))


def _refuse_nul() -> None:
    # PostgreSQL cannot store NUL in text, and no form needs it: refuse it up front (400),
    # rather than let it reach a query and fail there (500).
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                name = key.replace(chr(0), "")
                msg = (f"the value of {name!r} contains a NUL character (\\x00), which no "
                       "field accepts")
                raise BadParameterError(msg, param=name)


def init_app(app: Flask) -> None:  # noqa: PLR0915 - one hook per concern, in order
    """Sessions, CSRF, the sign-in rate limit, cookie flags and security headers for ``app``.

    Parameters
    ----------
    app
        The app made by :func:`service.create_app` (this blueprint already registered).
    """
    # First of all hooks: CSRF reads the form, so the body limit must already hold then.
    app.config["MAX_CONTENT_LENGTH"] = int(app.config.get("MAX_BODY", 1024 * 1024))
    app.before_request(_limit_body)
    secure = _secure_cookies(app)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    if app.config.get("PERMANENT_SESSION_LIFETIME") == dt.timedelta(days=31):  # Flask's
        app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=8)  # a working day
    # The lifetime is absolute, counted from sign-in (service.web.auth): the cookie is not
    # re-issued with a new expiry on every request.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    # On everywhere but in tests, which turn it on where they test it.
    app.config.setdefault("WTF_CSRF_ENABLED", not app.testing)
    if app.config.get("REDIS_URL") and not app.config.get("RATELIMIT_STORAGE_URI") and \
            not os.environ.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    for name in DEFAULTS:
        app.config[name] = _setting(app, name)

    manager = LoginManager()
    manager.init_app(app)
    manager.user_loader(load_user)
    manager.unauthorized_handler(unauthorized)
    manager.session_protection = "basic"

    csrf = CSRFProtect()
    csrf.init_app(app)
    # The default hook is replaced by one that lets token-authenticated API calls through.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    @app.before_request
    def _csrf_unless_token() -> None:
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return
        if request.blueprint in TOKEN_BLUEPRINTS:
            return
        if request.path.startswith("/api/") and bearer_token() is not None:
            return
        csrf.protect(apply_exemptions=True)

    storage_uri = app.config["RATELIMIT_STORAGE_URI"]
    # The storage is pluggable (any `limits` storage URI); errors of a shared one fail closed.
    limiter = Limiter(get_remote_address, storage_uri=storage_uri, headers_enabled=False,
                      storage_options=limiter_storage_options(storage_uri))
    limiter.init_app(app)
    app.extensions["commonground.limiter"] = limiter
    view = app.view_functions["auth.login"]
    view = limiter.limit(app.config["LOGIN_ACCOUNT_RATE_LIMIT"], key_func=_account_key,
                         methods=["POST"], deduct_when=_login_failed,
                         error_message="too many failed sign-ins for this account from "
                                       "this address")(view)
    view = limiter.limit(app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
                         deduct_when=_login_failed,
                         error_message="too many failed sign-ins from this address")(view)
    app.view_functions["auth.login"] = view
    # "I'm interested" (no account): a few a day from one address is plenty for a peer and
    # stops anyone filling partners' inboxes.
    app.config.setdefault("INTEREST_RATE_LIMIT", "5 per hour; 20 per day")
    app.view_functions["peer.express_interest"] = limiter.limit(
        app.config["INTEREST_RATE_LIMIT"], methods=["POST"],
        error_message="too many interests from this address")(
        app.view_functions["peer.express_interest"])
    # Registration and reset requests: every POST counts (each may send an email); an emailed
    # link's token: failed uses only, so that tokens cannot be guessed at.
    for endpoint in ACCOUNT_ENDPOINTS:
        app.view_functions[endpoint] = limiter.limit(
            app.config["ACCOUNT_RATE_LIMIT"], methods=["POST"],
            deduct_when=None if endpoint in _EVERY_POST_COUNTS else _token_failed,
            error_message="too many account requests from this address")(
            app.view_functions[endpoint])
    for endpoint in EXPENSIVE_ENDPOINTS:  # computed answers: anonymous clients are limited
        if endpoint in app.view_functions:
            plain = app.view_functions[endpoint]
            app.view_functions[endpoint] = _fails_open(limiter.limit(
                app.config["ANONYMOUS_RATE_LIMIT"], exempt_when=_signed_in,
                error_message="too many requests from this address")(plain), plain)
    app.register_error_handler(RateLimitExceeded, _too_many)
    if not storage_uri.startswith("memory://"):
        app.before_request(_check_counters)
    app.before_request(_refuse_nul)
    app.after_request(_cache_public_json)
    app.after_request(_security_headers)


__all__ = ["API_MAX_BODY", "TOKEN_BLUEPRINTS", "content_security_policy", "init_app"]
