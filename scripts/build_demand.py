"""Build the shipped demand model and district centroids from the open sources.

Run from the project root (the sources default to ``../shared/data``)::

    python scripts/build_demand.py [--data-dir ../shared/data]

Writes

- ``ingest/data/uk_demand_districts.csv``: one row per populated UK postcode district (and one
  per local authority that no district centroid falls in), with its population scaled to ONS
  mid-2022 per local authority;
- ``geo/_postcode_districts.py``: the centroids of every geographic postcode district with an
  active postcode, for the offline geocoder.

Method (README, "How it is counted")
------------------------------------
1. Districts: ``uk-postcodes/postcode_districts.csv`` (doogal.co.uk, from ONS Postcode
   Directory / OS Code-Point Open, Census 2011 populations). Kept: districts with at least one
   active postcode, a Census 2011 population > 0, not marked "Non-geographic".
2. Each district belongs to one local authority, its *main* authority: the 2025 authority
   whose boundary (``uk-boundaries/uk_ltla_2025.geojson``, super-generalised) holds the
   district's centroid (the nearest one for a centroid just off the coast). The table's
   ``Region`` column is not used: it holds pre-2019 names, counties and post towns, and often
   names a neighbour (GL50-GL53, central Cheltenham, say Tewkesbury). Districts straddling
   two authorities are not split: all their people go to the main authority, so the scaling
   of step 3 moves some people across a border (factors 0.70-3.76, median 1.06: Lincoln's
   single central district carries the whole city, its suburbs' districts in West Lindsey
   are scaled down).
3. Per authority, the 2011 populations of its districts are scaled so that they add up to the
   authority's ONS mid-2022 population (``population/uk_mid2022_population_all_geographies
   .csv``), rounded to whole people by largest remainders, so each authority's total is exact.
4. An authority that is no district's main authority (a small one between larger ones, e.g.
   Oadby and Wigston) becomes one demand point at its centroid
   (``uk-boundaries/lad_2024_centroids.csv``) with its ONS population: its people were in the
   neighbouring authority's districts before scaling and are taken out of them by step 3.

Every authority then totals its ONS figure, and the table totals the UK's 67,596,281.

Licence of the output: Open Government Licence v3.0 (see ``ingest/data/README.md``).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parent.parent
LA_GEOGRAPHIES = ("Unitary Authority", "Non-metropolitan District", "Metropolitan District",
                  "London Borough", "Council Area", "Local Government District")
# Codes of the same four authorities in the 2025 boundaries vs the mid-2022 population file.
CODE_2025_TO_2022 = {"E08000038": "E08000016", "E08000039": "E08000019",
                     "S12000044": "S12000050", "S12000046": "S12000049"}
OUT_TABLE = ROOT / "ingest" / "data" / "uk_demand_districts.csv"
OUT_GEO = ROOT / "geo" / "_postcode_districts.py"


def _norm(name: str) -> str:
    return " ".join(str(name).replace("&", "and").replace(",", " ").lower().split())


def _place(post_town: str, la_name: str, region: str) -> str:
    """The town a district's people live in: its post town (London: its borough)."""
    town = str(post_town).split(",")[0].strip()  # "Manchester, Salford": the first
    if not town or town.lower() == "nan" or (town == "London" and region == "London"):
        return la_name
    return town


def _largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    floor = np.floor(values).astype(np.int64)
    short = int(total - floor.sum())
    order = np.argsort(-(values - floor), kind="stable")
    floor[order[:short]] += 1
    return floor


def build(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demand table and the geocoder's district centroids."""
    districts = pd.read_csv(data_dir / "uk-postcodes" / "postcode_districts.csv",
                            keep_default_na=False, na_values=[""])
    pop = pd.read_csv(data_dir / "population" / "uk_mid2022_population_all_geographies.csv",
                      encoding="utf-8-sig")
    la = pop.loc[pop["Geography"].isin(LA_GEOGRAPHIES)].copy()
    centroids = pd.read_csv(data_dir / "uk-boundaries" / "lad_2024_centroids.csv",
                            encoding="utf-8-sig")
    with (data_dir / "uk-boundaries" / "uk_ltla_2025.geojson").open(encoding="utf-8") as fh:
        ltla = json.load(fh)["features"]

    districts = districts.rename(columns={"Town/Area": "town_area", "Post Town": "post_town",
                                          "UK region": "uk_region"})
    for col in ("Region", "town_area", "post_town", "uk_region"):
        districts[col] = districts[col].fillna("").astype(str).str.strip()
    active = districts["Active postcodes"].fillna(0) > 0
    geographic = ~districts["town_area"].str.contains("Non-geographic", case=False)
    geo_rows = districts.loc[active & geographic, ["Postcode", "Latitude", "Longitude"]]
    geo_rows = geo_rows.sort_values("Postcode").reset_index(drop=True)

    d = districts.loc[active & geographic & (districts["Population"].fillna(0) > 0)].copy()
    d = d.reset_index(drop=True)

    name_by_code = dict(zip(la["Code"], la["Name"], strict=True))
    ons = dict(zip(la["Code"], la["Population"].astype(np.int64), strict=True))

    geoms = [shape(f["geometry"]) for f in ltla]
    codes = [CODE_2025_TO_2022.get(f["properties"]["areacd"], f["properties"]["areacd"])
             for f in ltla]
    tree = shapely.STRtree(geoms)
    pts = shapely.points(d["Longitude"].to_numpy(), d["Latitude"].to_numpy())
    inside = tree.query(pts, predicate="within")
    by_polygon: dict[int, str] = {}
    for p_i, g_i in zip(inside[0], inside[1], strict=True):
        by_polygon.setdefault(int(p_i), codes[int(g_i)])
    nearest = tree.query_nearest(pts, all_matches=False)
    for p_i, g_i in zip(nearest[0], nearest[1], strict=True):
        by_polygon.setdefault(int(p_i), codes[int(g_i)])

    d["la_code"] = [by_polygon[i] for i in range(len(d))]
    d["assigned_by"] = "boundary"
    unknown = sorted(set(d["la_code"]) - set(ons))
    if unknown:
        msg = f"authorities without an ONS population: {unknown}"
        raise SystemExit(msg)

    rows = []
    for code, group in d.groupby("la_code", sort=True):
        base = group["Population"].to_numpy(np.float64)
        scaled = _largest_remainder(base * ons[code] / base.sum(), int(ons[code]))
        for r, people in zip(group.itertuples(index=False), scaled, strict=True):
            locality = str(r.town_area).split(",")[0].strip()
            rows.append({
                "district": r.Postcode, "name": f"{r.Postcode} {locality}".strip(),
                "place": _place(r.post_town, name_by_code[code], r.uk_region),
                "lat": round(float(r.Latitude), 5), "lon": round(float(r.Longitude), 5),
                "population": int(people), "population_2011": int(r.Population),
                "la_code": code, "la_name": name_by_code[code], "assigned_by": r.assigned_by,
            })
    missing = sorted(set(ons) - set(d["la_code"]))
    cent = centroids.set_index("LAD24CD")
    cent_by_name = {_norm(n): c for c, n in zip(centroids["LAD24CD"], centroids["LAD24NM"],
                                                strict=True)}
    for code in missing:
        key = code if code in cent.index else cent_by_name.get(_norm(name_by_code[code]))
        row = cent.loc[key]
        rows.append({
            "district": "", "name": name_by_code[code], "place": name_by_code[code],
            "lat": round(float(row["LAT"]), 5), "lon": round(float(row["LONG"]), 5),
            "population": int(ons[code]), "population_2011": 0, "la_code": code,
            "la_name": name_by_code[code], "assigned_by": "authority centroid",
        })
    table = pd.DataFrame(rows).sort_values(["la_code", "district", "name"], kind="stable")
    return table.reset_index(drop=True), geo_rows


def write_geo_module(rows: pd.DataFrame, path: Path) -> None:
    """``geo/_postcode_districts.py``: district -> (lat, lon), 4 decimals (about 10 m)."""
    lines = [
        '"""Built-in centroids of the UK postcode districts (outward codes), for geocoding.',
        "",
        "Generated by ``scripts/build_demand.py`` from ``uk-postcodes/postcode_districts.csv``",
        '(the doogal.co.uk "Postcode districts" table, from ONS Postcode Directory / OS Code-Point',
        "Open data, snapshot about 2023): every district with an active postcode that is not",
        'marked "Non-geographic", at its published centroid rounded to 4 decimals (about 10 m).',
        "The same centroids place the demand model's people (``ingest/data/``). Do not edit.",
        "",
        "Licence: Open Government Licence v3.0. Contains OS data © Crown copyright and database",
        "right; Contains Royal Mail data © Royal Mail copyright and database right; Contains",
        "National Statistics data © Crown copyright and database right.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "#: Postcode district -> ``(lat, lon)`` WGS84 degrees.",
        "_POSTCODE_DISTRICT_CENTROIDS: dict[str, tuple[float, float]] = {",
    ]
    lines += [f'    "{r.Postcode}": ({r.Latitude:.4f}, {r.Longitude:.4f}),'
              for r in rows.itertuples(index=False)
              if math.isfinite(r.Latitude) and math.isfinite(r.Longitude)]
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    """Build and write both outputs; print the checks."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = next((p for p in (ROOT.parent / "shared" / "data",
                                ROOT.parent.parent / "shared" / "data") if p.is_dir()), None)
    parser.add_argument("--data-dir", type=Path, default=default,
                        help="the shared sources (default ../shared/data)")
    args = parser.parse_args()
    table, geo_rows = build(args.data_dir)
    OUT_TABLE.parent.mkdir(parents=True, exist_ok=True)
    table.drop(columns=["population_2011", "assigned_by"]).to_csv(OUT_TABLE, index=False,
                                                   quoting=csv.QUOTE_MINIMAL)
    write_geo_module(geo_rows, OUT_GEO)
    print(f"{len(table):,} demand points, {table['population'].sum():,} people, "
          f"{table['la_code'].nunique()} authorities "
          f"({(table['assigned_by'] == 'authority centroid').sum()} authority centroids) "
          f"-> {OUT_TABLE.relative_to(ROOT)}")
    print(f"{len(geo_rows):,} district centroids -> {OUT_GEO.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
