"""What every use case gets from its surroundings: the store, the settings and one cache.

A :class:`Context` is made once per app (:func:`service.web.app.create_app`) or per CLI
invocation and handed to the use cases; they never see Flask or click. Its one cache holds
what is expensive to build and shared between requests of one process (the geocoders, the
recommender), each entry keyed by the data version it was built from, so that nothing stale
survives a data change. Nothing about a query is cached.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Mapping

    from store import Store

T = TypeVar("T")


class Context:
    """The store and settings of one app, and its cache.

    Parameters
    ----------
    store
        The store.
    settings
        The resolved settings (:func:`service.config.load_settings`): ``GEOCODER``,
        ``DATA_DIR``, ``SERVICE_AREA``, ...
    """

    def __init__(self, store: Store, settings: Mapping[str, Any]) -> None:
        self.store = store
        self.settings = settings
        self._cache: dict[str, tuple[Any, Any]] = {}
        self._lock = threading.Lock()

    @property
    def service_area(self) -> str:
        """The service area's text (``COMMONGROUND_SERVICE_AREA``)."""
        return str(self.settings.get("SERVICE_AREA", "GB"))

    def cached(self, key: str, build: Callable[[], T], *, version: Any = None) -> T:
        """The value cached under ``key`` for ``version``; built (outside the lock) if absent.

        Parameters
        ----------
        key
            A name for the value (``"geocoder"``, ``"recommender"``, ...).
        build
            Makes the value.
        version
            What the value was built from (a data version): another version rebuilds it.

        Returns
        -------
        object
            The value.
        """
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]  # type: ignore[no-any-return]
        value = build()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] == version:  # another thread was quicker: share it
                return hit[1]  # type: ignore[no-any-return]
            self._cache[key] = (version, value)
        return value


__all__ = ["Context"]
