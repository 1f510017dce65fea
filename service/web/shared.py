"""What workers share: server-side staff sessions in Redis, and read-your-writes routing.

Nothing here assumes one process. With ``REDIS_URL`` set, every sign-in gets a random session
id kept in Redis (``cg:session:<id>`` with the session's lifetime, and the set
``cg:user-sessions:<user id>``); each request of a signed-in user checks that id, so signing
out, or :func:`revoke_user_sessions`, ends the session on every worker and host at once.
Without Redis (one machine, as before), sessions are the signed cookie alone.

Redis unreachable: a staff session cannot be confirmed, so it counts as signed out (fails
closed); peers never touch Redis.

Shared computed answers (:class:`RedisResults`): with ``REDIS_URL`` the app's coverage,
sites and map answers (:mod:`service.usecases.coverage_cache`) are kept in Redis for
``COMMONGROUND_RESULT_CACHE_TTL`` seconds under ``cg:result:<sha256 of the key>`` (the key
holds the store URL, its coverage fingerprint and the parameters, so a data change is a new
key for every worker). Values are pickles of answers this service computed, signed with
``SECRET_KEY`` (HMAC-SHA256): a value that does not verify (written by anything else) is
ignored, never unpickled. Answers larger than :data:`RESULT_MAX_BYTES` stay per worker.
Redis unreachable: the worker computes the answer itself (a rate-limited log line), and
leaves Redis alone for :data:`RESULT_BACKOFF_S` seconds.

Read-your-writes (``DATABASE_REPLICA_URLS``): a request that wrote leaves the primary's WAL
position in the signed session cookie (``cg_lsn``); the caller's next requests read from a
replica only once it has replayed that far (``store.replicas``), and the cookie forgets it
once every replica has.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import pickle
import secrets
import threading
import time
from typing import TYPE_CHECKING
from typing import Any

from flask import g
from flask import session

from service.usecases.coverage_cache import MISSING
from service.usecases.coverage_cache import ResultCache
from service.usecases.coverage_cache import use_cache
from service.web.logs import ThrottledLog

if TYPE_CHECKING:
    from flask import Flask
    from flask import Response

    from store import Store

log = logging.getLogger("commonground.shared")
#: Seconds a Redis call may take before it counts as failed: a lost Redis must not stall.
REDIS_TIMEOUT_S = 0.5
#: Largest shared answer (pickled); larger ones are kept by each worker only.
RESULT_MAX_BYTES = 32 * 1024 * 1024
#: Seconds a worker leaves Redis alone after a failed call (a lost Redis costs no waits).
RESULT_BACKOFF_S = 5.0
#: Seconds a claim ("this worker is computing the key") lives at most.
RESULT_CLAIM_S = 60
RESULT_PREFIX = "cg:result:"
SESSION_KEY = "_cg_sid"
LSN_KEY = "cg_lsn"


class SharedStateError(RuntimeError):
    """Redis (or whatever holds the shared state) cannot be reached."""

    status = 503
    code = "shared_state_unavailable"


def redis_client(url: str) -> Any:
    """A Redis client for ``url`` with short timeouts (a lost Redis fails fast)."""
    import redis  # noqa: PLC0415 - optional at run time: only with REDIS_URL

    return redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S,
                                socket_timeout=REDIS_TIMEOUT_S, decode_responses=True)


def limiter_storage_options(uri: str) -> dict[str, Any]:
    """Options for Flask-Limiter's storage: short timeouts and one exception type."""
    if uri.startswith(("redis://", "rediss://", "unix://")):
        return {"wrap_exceptions": True, "socket_connect_timeout": REDIS_TIMEOUT_S,
                "socket_timeout": REDIS_TIMEOUT_S}
    return {}


class CookieSessions:
    """No server-side state: a session is its signed cookie (one machine, no Redis)."""

    shared = False

    def create(self, user_id: int, lifetime_s: int) -> str | None:
        """Nothing to record; returns ``None``."""
        return None

    def is_valid(self, sid: str | None, user_id: int) -> bool:
        """Every correctly signed cookie is valid."""
        return True

    def revoke(self, sid: str | None) -> None:
        """Nothing to revoke: signing out clears the cookie only."""

    def revoke_user(self, user_id: int) -> int:
        """Nothing to revoke (changing the password still ends the user's sessions)."""
        return 0


class RedisSessions:
    """Server-side session ids in Redis, shared by every worker and host."""

    shared = True

    def __init__(self, client: Any) -> None:
        self.client = client

    def _call(self, fn: Any, *args: Any) -> Any:
        import redis  # noqa: PLC0415 - optional: only deployments with REDIS_URL load it

        try:
            return fn(*args)
        except redis.RedisError as exc:
            msg = f"Redis unreachable: {exc}"
            raise SharedStateError(msg) from None

    def create(self, user_id: int, lifetime_s: int) -> str | None:
        """A new session id for the user, alive for ``lifetime_s`` seconds."""
        sid = secrets.token_urlsafe(24)
        pipe = self.client.pipeline()
        pipe.set(f"cg:session:{sid}", int(user_id), ex=int(lifetime_s))
        pipe.sadd(f"cg:user-sessions:{int(user_id)}", sid)
        pipe.expire(f"cg:user-sessions:{int(user_id)}", int(lifetime_s))
        self._call(pipe.execute)
        return sid

    def is_valid(self, sid: str | None, user_id: int) -> bool:
        """Whether ``sid`` is a live session of ``user_id``."""
        if not sid:
            return False
        owner = self._call(self.client.get, f"cg:session:{sid}")
        return owner is not None and str(owner) == str(int(user_id))

    def revoke(self, sid: str | None) -> None:
        """End one session."""
        if sid:
            self._call(self.client.delete, f"cg:session:{sid}")

    def revoke_user(self, user_id: int) -> int:
        """End every session of a user; returns how many there were."""
        key = f"cg:user-sessions:{int(user_id)}"
        sids = self._call(self.client.smembers, key) or set()
        if sids:
            self._call(self.client.delete, *[f"cg:session:{s}" for s in sids], key)
        return len(sids)


class RedisResults:
    """The shared tier of the computed-answer cache, on Redis.

    A :class:`service.usecases.coverage_cache.SharedTier`. Every method fails soft: Redis
    down means "absent".
    """

    def __init__(self, client: Any, *, secret: str, ttl_s: int, namespace: str = RESULT_PREFIX,
                 max_bytes: int = RESULT_MAX_BYTES) -> None:
        self.client = client
        self.ttl_s = int(ttl_s)
        self.namespace = namespace
        self.max_bytes = max_bytes
        self._secret = hashlib.sha256(f"cg-result:{secret}".encode()).digest()
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._log = ThrottledLog(log, interval_s=30.0)

    def redis_key(self, key: Any) -> str:
        """``<namespace><sha256 of repr(key)>``: the same on every worker and host."""
        return self.namespace + hashlib.sha256(repr(key).encode("utf-8")).hexdigest()

    def _sign(self, blob: bytes) -> bytes:
        return hmac.new(self._secret, blob, hashlib.sha256).digest()

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``fn(...)``, or ``MISSING`` when Redis fails (then left alone for a while)."""
        import redis  # noqa: PLC0415 - optional at run time: only with REDIS_URL

        with self._lock:
            if time.monotonic() < self._down_until:
                return MISSING
        try:
            return fn(*args, **kwargs)
        except redis.RedisError as exc:
            with self._lock:
                self._down_until = time.monotonic() + RESULT_BACKOFF_S
            self._log.log(logging.WARNING, "result-cache",
                          f"shared answers: Redis unreachable ({type(exc).__name__}); "
                          f"computing locally for {RESULT_BACKOFF_S:.0f} s")
            return MISSING

    def get(self, key: Any) -> Any:
        """The shared answer under ``key``, or ``MISSING`` (absent, forged or unreachable)."""
        raw = self._call(self.client.get, self.redis_key(key))
        if raw is MISSING or raw is None or len(raw) <= hashlib.sha256().digest_size:
            return MISSING
        mac, blob = raw[:32], raw[32:]
        if not hmac.compare_digest(mac, self._sign(blob)):
            self._log.log(logging.WARNING, "result-forged",
                          "shared answers: a value failed its signature; ignored")
            return MISSING
        try:
            return pickle.loads(blob)  # noqa: S301 - signed by this service: we produced it
        except Exception:  # e.g. written by an older release: compute it anew
            self._log.log(logging.WARNING, "result-unpickle",
                          "shared answers: a value could not be read; computing locally")
            return MISSING

    def put(self, key: Any, value: Any) -> None:
        """Share ``value`` for ``ttl_s`` seconds (not when larger than ``max_bytes``)."""
        try:
            blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            self._log.log(logging.WARNING, "result-pickle",
                          f"shared answers: a {type(value).__name__} cannot be shared")
            return
        if len(blob) > self.max_bytes:
            return
        self._call(self.client.set, self.redis_key(key), self._sign(blob) + blob, ex=self.ttl_s)

    def claim(self, key: Any) -> bool:
        """Whether this worker computes ``key`` now (True too when Redis cannot tell)."""
        got = self._call(self.client.set, self.redis_key(key) + ":claim", b"1", nx=True,
                         ex=RESULT_CLAIM_S)
        return got is MISSING or bool(got)

    def release(self, key: Any) -> None:
        """Drop the claim on ``key``."""
        self._call(self.client.delete, self.redis_key(key) + ":claim")


def result_client(url: str) -> Any:
    """A Redis client for binary values (the shared answers), with short timeouts."""
    import redis  # noqa: PLC0415 - optional at run time: only with REDIS_URL

    return redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S,
                                socket_timeout=REDIS_TIMEOUT_S)


def sessions_for(app: Flask) -> CookieSessions | RedisSessions:
    """The app's session registry: Redis when ``REDIS_URL`` is set, else cookies only."""
    registry: CookieSessions | RedisSessions = app.extensions["commonground.sessions"]
    return registry


def revoke_user_sessions(app: Flask, user_id: int) -> int:
    """Sign a user out everywhere (needs ``REDIS_URL``); returns the sessions ended."""
    return sessions_for(app).revoke_user(user_id)


def init_app(app: Flask, store: Store) -> None:
    """Set up the session registry and, with replicas, read-your-writes for ``app``."""
    url = app.config.get("REDIS_URL")
    app.extensions["commonground.sessions"] = (
        RedisSessions(redis_client(url)) if url else CookieSessions())
    ttl = int(app.config.get("RESULT_CACHE_TTL", 0))
    if url and ttl > 0:  # this app's store gets its own cache, with Redis behind it
        use_cache(store, ResultCache(shared=RedisResults(
            result_client(url), secret=str(app.config["SECRET_KEY"]), ttl_s=ttl)))
    if not store.router.replicas:
        return

    @app.before_request
    def _route_reads() -> None:
        stack = contextlib.ExitStack()
        stack.enter_context(store.router.requiring(session.get(LSN_KEY)))
        g.cg_routing = stack

    @app.after_request
    def _remember_writes(response: Response) -> Response:
        written = store.router.written_lsn()
        required = session.get(LSN_KEY)
        if written:
            session[LSN_KEY] = written
        elif required and store.router.caught_up(required):
            session.pop(LSN_KEY, None)
        return response

    @app.teardown_request
    def _end_routing(_exc: BaseException | None) -> None:
        stack = g.pop("cg_routing", None)
        if stack is not None:
            stack.close()


__all__ = [
    "CookieSessions",
    "RedisResults",
    "RedisSessions",
    "SharedStateError",
    "init_app",
    "limiter_storage_options",
    "redis_client",
    "result_client",
    "revoke_user_sessions",
    "sessions_for",
]
