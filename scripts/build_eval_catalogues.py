"""Build the two frozen evaluation catalogues under ``tests/data/eval/`` (run once; frozen).

    PYTHONPATH=$PWD python scripts/build_eval_catalogues.py [--shared ../shared/data]

* ``everyday_catalogue.csv``: the demo data set's open listings with places left (seed 2024),
  with their association's name and category. The ``label`` column is the listing's *need
  template* (``"<category>: <title>"``), the key the hand-written judgments of
  ``everyday_requests.json`` use. The engine never sees ``label``.
* ``everyday_origins.csv``: the towns each everyday request is asked from (each region's
  hotspot and two of its towns).
* ``trafford_catalogue.csv``: one listing per real Trafford association (charities, sports
  clubs, allotments, libraries, mental-health services) with text derived from the source's
  own text (charities' activities, services' descriptions, names and addresses). ``label``
  comes from fields the engine never sees: a sports club's ``category`` (its sport), the file
  an association comes from (allotment, library, mental-health service). Charities have no
  independent topical field: their ``label`` is empty (unjudged; see ``matching.evaluate``).
  Interest tags are what an ingest would give: a fixed pair per file, and for charities the
  interests spotted in their activities by the taxonomy as it was when the set was frozen.
* ``trafford_origins.csv``: ward centroids of Trafford (mean of the ward's postcodes), one per
  ward, to ask from.

The judgments (``*_requests.json``) are written by hand, not by this script.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import pandas as pd

from geo.gazetteer import Gazetteer
from ingest._demo_vocab import REGIONS
from ingest.demo import build_demo
from matching.taxonomy import SLUGS
from matching.text import spot_interests

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "eval"
COLUMNS = ["id", "association_id", "association", "category", "title", "description",
           "interests", "skills", "weekdays", "start_time", "end_time", "flexible", "capacity",
           "places_taken", "status", "lat", "lon", "label"]


def _everyday() -> None:
    gazetteer = Gazetteer.from_geonames()
    data = build_demo(gazetteer, SLUGS)
    assocs = {a["source_id"]: (i + 1, a) for i, a in enumerate(data.associations)}
    rows = []
    for o in data.opportunities:
        aid, assoc = assocs[o["association_source_id"]]
        if o["status"] != "open" or assoc["status"] != "approved":
            continue
        if o["capacity"] is not None and o["places_taken"] >= o["capacity"]:
            continue
        rows.append({
            "id": len(rows) + 1, "association_id": aid, "association": assoc["name"],
            "category": assoc["category"], "title": o["title"],
            "description": o["description"], "interests": ";".join(o["interests"]),
            "skills": ";".join(o["skills"]),
            "weekdays": ";".join(str(d) for d in o["weekdays"]),
            "start_time": o["start_time"].strftime("%H:%M") if o["start_time"] else "",
            "end_time": o["end_time"].strftime("%H:%M") if o["end_time"] else "",
            "flexible": int(bool(o["flexible"])), "capacity": o["capacity"],
            "places_taken": o["places_taken"], "status": "open",
            "lat": round(o["lat"], 6), "lon": round(o["lon"], 6),
            "label": f"{assoc['category']}: {o['title']}",
        })
    pd.DataFrame(rows, columns=COLUMNS).to_csv(OUT / "everyday_catalogue.csv", index=False)
    origins = []
    for spec in REGIONS:
        for name in (spec.hotspot, *spec.towns[:2]):
            place = gazetteer.resolve(name)
            origins.append({"origin": name, "lat": round(place.lat, 5),
                            "lon": round(place.lon, 5)})
    pd.DataFrame(origins).to_csv(OUT / "everyday_origins.csv", index=False)
    print(f"everyday: {len(rows)} listings, {len(origins)} origins")


def _geocoder(shared: Path) -> dict[str, tuple[float, float]]:
    where: dict[str, tuple[float, float]] = {}
    gm = pd.read_csv(shared / "uk-postcodes" / "gm_postcodes_2018-08.csv")
    for pc, lon, lat in gm[["postcode", "lon", "lat"]].itertuples(index=False):
        where[str(pc).replace(" ", "").upper()] = (float(lat), float(lon))
    tr = pd.read_csv(shared / "uk-postcodes" / "trafford_postcodes.csv")
    for pc, lon, lat in tr[["postcode", "lon", "lat"]].itertuples(index=False):
        where[str(pc).replace(" ", "").upper()] = (float(lat), float(lon))
    return where


def _clean(text: object) -> str:
    value = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    return "" if value.strip() == "NA" else " ".join(value.split())


def _trafford(shared: Path) -> None:
    src = shared / "associations-trafford"
    where = _geocoder(shared)
    rows: list[dict[str, object]] = []

    def add(name: str,  # noqa: PLR0917 - one row's fields
            category: str, title: str, text: str, tags: list[str],
            latlon: tuple[float, float] | None, label: str) -> None:
        if latlon is None:
            return
        n = len(rows) + 1
        rows.append({
            "id": n, "association_id": n, "association": name, "category": category,
            "title": title, "description": text, "interests": ";".join(tags), "skills": "",
            "weekdays": "", "start_time": "", "end_time": "", "flexible": 1, "capacity": "",
            "places_taken": 0, "status": "open", "lat": round(latlon[0], 6),
            "lon": round(latlon[1], 6), "label": label,
        })

    def pc(value: object) -> tuple[float, float] | None:
        return where.get(_clean(value).replace(" ", "").upper())

    sports = pd.read_csv(src / "sports_clubs.csv", dtype=str)
    for r in sports.itertuples(index=False):
        name = _clean(r.name)
        add(name, "sports_club", f"Volunteer at {name}",
            f"Club volunteers keep {name} going: {_clean(r.address)}.",
            ["sport", "health-wellbeing"], pc(r.postcode), f"sport:{_clean(r.category)}")
    allot = pd.read_csv(src / "trafford_allotments.csv")
    for r in allot.itertuples(index=False):
        name = _clean(r.name)
        add(f"{name} Allotments", "allotment", f"Plot helper at {name} allotments",
            f"Help on the allotment site at {name}.", ["gardening", "outdoors"],
            (float(r.lat), float(r.lon)), "allotment")
    libs = pd.read_csv(src / "trafford_libraries.csv")
    for r in libs.itertuples(index=False):
        name = _clean(r.name)
        add(name, "library", f"Volunteer at {name}",
            f"{_clean(r.type)}, {_clean(r.address)}.", ["it-digital", "teaching-mentoring"],
            (float(r.lat), float(r.lon)), "library")
    mh = pd.read_csv(src / "trafford_mental_health_services.csv", dtype=str)
    for r in mh.itertuples(index=False):
        name = _clean(r.name)
        add(name, "mental_health", f"Volunteer with {name}", _clean(r.description),
            ["health-wellbeing", "befriending-care"], pc(r.postcode), "mental_health")
    charities = pd.read_csv(src / "charities_operating_in_trafford.csv", dtype=str)
    for r in charities.itertuples(index=False):
        text = _clean(r.charity_activities)
        if not text:
            continue
        name = _clean(r.charity_name).title()
        add(name, "charity", f"Volunteer with {name}", text[:1500],
            spot_interests(text)[:3], pc(r.charity_contact_postcode), "")
    pd.DataFrame(rows, columns=COLUMNS).to_csv(OUT / "trafford_catalogue.csv", index=False)
    wards = pd.read_csv(shared / "uk-postcodes" / "trafford_postcodes.csv")
    centres = (wards.groupby("ward_name")[["lat", "lon"]].mean().round(5).reset_index()
               .rename(columns={"ward_name": "origin"}))
    centres.to_csv(OUT / "trafford_origins.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    print(f"trafford: {len(rows)} listings, {len(centres)} origins")


def main(argv: list[str] | None = None) -> int:
    """Write the catalogues."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    _everyday()
    _trafford(args.shared)
    return 0


if __name__ == "__main__":
    sys.exit(main())
