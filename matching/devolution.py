"""Who should devolve a new group: a readiness score and a maximum distance.

Pure: frames in, plain data out. An approved organisation is *ready* to devolve a group when,
on the date asked, it runs at least :data:`MIN_MEETINGS` meetings that serve people, has at
least :data:`MIN_VOLUNTEERS` volunteers with a valid licence, and was founded at least
:data:`MIN_YEARS` years before. Its *readiness* (0-1) weighs the same facts and its own growth
(the groups it has devolved already)::

    0.35 * min(meetings, 5) / 5 + 0.35 * min(licensed volunteers, 6) / 6
    + 0.20 * min(years since founding, 5) / 5 + 0.10 * min(groups devolved, 3) / 3

For a site, the candidates are the ready organisations within ``max_km`` (40 km by default,
``COMMONGROUND_DEVOLVE_MAX_KM``), those of the site's region first; among them the best
``readiness - 0.25 * distance / max_km`` wins (a nearer organisation wins a close call). When
none is ready within reach the answer says so and names the nearest approved organisation with
what it lacks.

Examples
--------
>>> import datetime as dt
>>> import pandas as pd
>>> orgs = pd.DataFrame({"id": [1], "name": ["Wigan Hub"], "status": ["approved"],
...     "founded_on": [dt.date(2020, 5, 1)], "parent_id": [None], "region_id": [1],
...     "lat": [53.54], "lon": [-2.63]})
>>> meetings = pd.DataFrame({"id": [1, 2, 3], "organisation_id": [1, 1, 1]})
>>> vols = pd.DataFrame({"organisation_id": [1, 1], "licence_valid_until": [
...     dt.date(2027, 1, 1), dt.date(2027, 1, 1)]})
>>> table = readiness(orgs, meetings, vols, on=dt.date(2026, 6, 1))
>>> choose_devolver(53.5, -2.6, table).to_dict()["reasons"]
'3 meetings, 2 licensed volunteers, 6 years, 5 km'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
import pandas as pd

from geo.distance import haversine_km

if TYPE_CHECKING:
    import datetime as dt

DEFAULT_MAX_KM = 40.0
"""A group is devolved from an organisation at most this far away (great circle, km)."""
MIN_MEETINGS = 2
MIN_VOLUNTEERS = 2
MIN_YEARS = 1.0
READINESS_COLUMNS = ("id", "name", "lat", "lon", "region_id", "meetings", "volunteers",
                     "years", "devolved", "readiness", "ready", "lacks")


def _plural(n: float, word: str) -> str:
    n = int(n)
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def readiness(
    organisations: pd.DataFrame, meetings: pd.DataFrame, volunteers: pd.DataFrame, *,
    on: dt.date,
) -> pd.DataFrame:
    """The readiness of every approved organisation with a position.

    Parameters
    ----------
    organisations
        ``id``, ``name``, ``status``, ``founded_on``, ``parent_id``, ``region_id``, ``lat``,
        ``lon``.
    meetings
        The meetings that serve people (``organisation_id``), see
        :func:`matching.coverage.serving_meetings`.
    volunteers
        ``organisation_id``, ``licence_valid_until``.
    on
        The date asked (licences valid that day; years counted to it).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`READINESS_COLUMNS`; ``lacks`` says why one is not ready ("" when it
        is).
    """
    orgs = organisations.loc[(organisations["status"] == "approved")
                             & organisations["lat"].notna() & organisations["lon"].notna()]
    per_meet = meetings["organisation_id"].dropna().astype(np.int64).value_counts()
    if volunteers.empty:
        per_vol = pd.Series(dtype=np.int64)
    else:
        until = pd.to_datetime(volunteers["licence_valid_until"], errors="coerce")
        valid = volunteers.loc[(until >= pd.Timestamp(on)).to_numpy()]
        per_vol = valid["organisation_id"].dropna().astype(np.int64).value_counts()
    parents = organisations["parent_id"].dropna().astype(np.int64).value_counts()
    founded = pd.to_datetime(orgs["founded_on"], errors="coerce")
    age = ((pd.Timestamp(on) - founded).dt.days / 365.25).clip(lower=0.0).fillna(0.0)
    rows = []
    for r, years in zip(orgs.itertuples(index=False), age.to_numpy(np.float64), strict=True):
        oid = int(r.id)
        n_meet, n_vol = int(per_meet.get(oid, 0)), int(per_vol.get(oid, 0))
        n_dev = int(parents.get(oid, 0))
        score = (0.35 * min(n_meet, 5) / 5 + 0.35 * min(n_vol, 6) / 6
                 + 0.20 * min(years, 5.0) / 5 + 0.10 * min(n_dev, 3) / 3)
        lacks = []
        if n_meet < MIN_MEETINGS:
            lacks.append(f"{_plural(n_meet, 'meeting')} (needs {MIN_MEETINGS})")
        if n_vol < MIN_VOLUNTEERS:
            lacks.append(f"{_plural(n_vol, 'licensed volunteer')} (needs {MIN_VOLUNTEERS})")
        if years < MIN_YEARS:
            lacks.append(f"founded {years:.1f} years ago (needs {MIN_YEARS:g})")
        region = getattr(r, "region_id", None)
        rows.append({"id": oid, "name": str(r.name), "lat": float(r.lat), "lon": float(r.lon),
                     "region_id": None if region is None or pd.isna(region) else int(region),
                     "meetings": n_meet, "volunteers": n_vol, "years": years,
                     "devolved": n_dev, "readiness": round(score, 4), "ready": not lacks,
                     "lacks": "; ".join(lacks)})
    return pd.DataFrame(rows, columns=list(READINESS_COLUMNS))


@dataclass(frozen=True)
class Devolver:
    """The organisation proposed to devolve a site (or ``None`` in ``organisation_id``)."""

    organisation_id: int | None
    name: str | None
    distance_km: float | None
    lat: float | None
    lon: float | None
    readiness: float | None
    reasons: str

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: ``{"organisation_id", "name", "distance_km", "readiness", "reasons"}``."""
        return {"organisation_id": self.organisation_id, "name": self.name,
                "distance_km": None if self.distance_km is None else round(self.distance_km, 3),
                "readiness": self.readiness, "reasons": self.reasons}


def _reasons(row: Any, km: float) -> str:
    return (f"{_plural(row.meetings, 'meeting')}, "
            f"{_plural(row.volunteers, 'licensed volunteer')}, "
            f"{_plural(int(row.years), 'year')}, {km:.0f} km")


def choose_devolver(
    lat: float, lon: float, table: pd.DataFrame, *, max_km: float = DEFAULT_MAX_KM,
    region_id: int | None = None,
) -> Devolver:
    """The best ready organisation to devolve a group at ``(lat, lon)``, with its reasons.

    Parameters
    ----------
    lat, lon
        The site.
    table
        :func:`readiness`.
    max_km
        Farthest an organisation may be.
    region_id
        The site's region: organisations of that region are preferred.

    Returns
    -------
    Devolver
        The choice, or one with ``organisation_id=None`` and ``reasons`` saying that none is
        ready within reach and who is nearest.
    """
    if table.empty:
        return Devolver(None, None, None, None, None, None,
                        "no approved organisation to devolve from")
    km = haversine_km(float(lat), float(lon), table["lat"].to_numpy(np.float64),
                      table["lon"].to_numpy(np.float64))
    ok = table["ready"].to_numpy(bool) & (km <= max_km)
    if ok.any():
        same = (table["region_id"].to_numpy() == region_id) if region_id is not None else None
        if same is not None and (ok & same).any():
            ok &= same
        value = np.where(ok, table["readiness"].to_numpy(np.float64) - 0.25 * km / max_km,
                         -np.inf)
        best = int(np.argmax(value))  # ties: the first row (lowest id)
        row = table.iloc[best]
        return Devolver(int(row["id"]), str(row["name"]), float(km[best]), float(row["lat"]),
                        float(row["lon"]), float(row["readiness"]),
                        _reasons(row, float(km[best])))
    near = int(np.argmin(km))
    row = table.iloc[near]
    why = "ready" if row["ready"] else f"not ready: {row['lacks']}"
    text = (f"none ready within {max_km:g} km; nearest is {row['name']} "
            f"({km[near]:.0f} km, {why})")
    return Devolver(None, None, None, None, None, None, text)


__all__ = ["DEFAULT_MAX_KM", "Devolver", "choose_devolver", "readiness"]
