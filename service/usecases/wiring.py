"""Wires the layers together for the use cases: geocoder, service area, interests.

The geocoder is kept in the context's one cache and rebuilt when the postcode table
changes; nothing about a query is kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from geo.geocode import make_geocoder
from geo.postcode_table import PostcodeTable
from geo.service_area import ServiceArea
from geo.service_area import service_area_from_text
from matching.taxonomy import interests_from_vds
from matching.taxonomy import normalise_interest
from store.postcodes import load_postcodes
from store.postcodes import replace_postcodes

if TYPE_CHECKING:
    from service.usecases.context import Context
    from store import Store


def interest_lookup(text: str) -> str | None:
    """A taxonomy slug for an interest as written (label, slug, synonym or VDS URI)."""
    text = str(text).strip()
    if text.startswith(("http://", "https://", "volunteering:")):
        slugs = interests_from_vds([text])
        return slugs[0] if slugs else None
    return normalise_interest(text)


def service_area(text: str) -> ServiceArea:
    """The service area named by ``text`` (``COMMONGROUND_SERVICE_AREA``)."""
    return service_area_from_text(text)


def postcode_table(store: Store) -> PostcodeTable | None:
    """The loaded postcode table of the store, or ``None`` when none was loaded."""
    rows = load_postcodes(store)
    if not rows:
        return None
    full = [(p, a, b) for p, k, a, b in rows if k == "postcode"]
    districts = {p: (a, b) for p, k, a, b in rows if k == "district"}
    return PostcodeTable([p for p, _, _ in full], [a for _, a, _ in full],
                         [b for _, _, b in full], districts=districts)


def geocoder(ctx: Context) -> Any:
    """The app's geocoder (``COMMONGROUND_GEOCODER``), with the store's postcode table."""
    store = ctx.store

    def build() -> Any:
        cache_dir = Path(ctx.settings["DATA_DIR"]) / "geocode-cache"
        return make_geocoder(ctx.settings["GEOCODER"], cache_dir=cache_dir,
                             postcode_table=postcode_table(store))

    return ctx.cached("geocoder", build, version=store.data_version("postcodes"))


def load_postcode_file(store: Store, path: Path, *, source: str | None = None) -> int:
    """Read a postcode file into the store; returns the rows written.

    Layouts: ONSPD, Code-Point Open, ``postcode,lat,lon`` or a districts table. Replaces
    what the same source loaded before.
    """
    table = PostcodeTable.from_csv(path)
    rows = [(p, "postcode", float(a), float(b)) for p, a, b in table.full_rows()]
    rows += [(d, "district", float(a), float(b)) for d, (a, b) in table.given_districts()]
    if not rows:
        msg = f"no postcodes found in {path.name}: expected ONSPD, Code-Point Open, " \
              "postcode,lat,lon or a districts table"
        raise ValueError(msg)
    return replace_postcodes(store, rows, source=source or f"postcodes:{path.stem}")
