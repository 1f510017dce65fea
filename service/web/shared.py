"""What workers share: server-side staff sessions in Redis, and read-your-writes routing.

Nothing here assumes one process. With ``REDIS_URL`` set, every sign-in gets a random session
id kept in Redis (``cg:session:<id>`` with the session's lifetime, and the set
``cg:user-sessions:<user id>``); each request of a signed-in user checks that id, so signing
out, or :func:`revoke_user_sessions`, ends the session on every worker and host at once.
Without Redis (one machine, as before), sessions are the signed cookie alone.

Redis unreachable: a staff session cannot be confirmed, so it counts as signed out (fails
closed); peers never touch Redis.

Read-your-writes (``DATABASE_REPLICA_URLS``): a request that wrote leaves the primary's WAL
position in the signed session cookie (``cg_lsn``); the caller's next requests read from a
replica only once it has replayed that far (``store.replicas``), and the cookie forgets it
once every replica has.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from typing import TYPE_CHECKING
from typing import Any

from flask import g
from flask import session

if TYPE_CHECKING:
    from flask import Flask
    from flask import Response

    from store import Store

log = logging.getLogger("commonground.shared")
#: Seconds a Redis call may take before it counts as failed: a lost Redis must not stall.
REDIS_TIMEOUT_S = 0.5
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
        import redis  # noqa: PLC0415

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
    "RedisSessions",
    "SharedStateError",
    "init_app",
    "limiter_storage_options",
    "redis_client",
    "revoke_user_sessions",
    "sessions_for",
]
