"""Open Referral HSDS 3.0 and Open Referral UK JSON (and the HSDS CSV folder) -> records.

Accepted shapes: one organization, service or service_at_location object (``*_full.json``);
a JSON array of them; a paginated API answer (``{"contents": [...]}``); an object with
``organizations``/``services``/``service_at_locations`` arrays; or a folder of HSDS tabular
CSV files (``organizations.csv``, ``services.csv``, ``locations.csv``, ``addresses.csv``,
``service_at_location.csv``, ``schedules.csv``, ``phones.csv``, ``attributes.csv``,
``taxonomy_terms.csv``, ``organization_identifiers.csv``). Objects are recognised by their
keys: ``service`` + ``location`` is a service_at_location; ``organization``,
``organization_id``, ``service_at_locations``, ``schedules`` or ``status`` make a service;
``services``, ``locations``, ``website``, ``legal_status``, ... an organization. Services
inside organizations, and organizations inside services, are found too (each once, by id).

Associations (organizations): id -> source_id, name, description, website (else url/uri),
email -> contact_email, the first phone number -> contact_phone, a Charity Commission
identifier (scheme GB-CHC, GB-SC, GB-NIC) -> charity_number, and the position of the first
physical location (else of the first location of its services): latitude/longitude -> lat/lon,
the physical address -> address, postal_code -> postcode.

Opportunities (services): id -> source_id, name -> title, description, the organization's
id/name/website -> association/association_name/association_website, taxonomy terms of its
attributes (and any ``taxonomy_terms``/``categories``) -> interests (names, raw), schedules
(``byday`` such as ``"MO,TU"``, or ``weekday``; ``opens_at``/``closes_at``) -> weekdays,
start_time, end_time, status active/inactive/defunct/temporarily closed ->
open/closed/closed/paused, and the first location of its service_at_locations as above.

Values are raw: the specification's example placeholders (latitude 100, longitude 101) pass
through for validation to reject. Row numbers are 1-based item indexes (the spreadsheet row
for the CSV folder).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from typing import Any

from ingest.readers._common import as_list
from ingest.readers._common import check_kind
from ingest.readers._common import clean
from ingest.readers._common import first_present
from ingest.readers._common import join_address
from ingest.readers._common import load_json
from ingest.readers._common import normalise_key
from ingest.readers._common import row_error
from ingest.readers._common import weekday_number
from ingest.readers.tabular import open_table
from ingest.records import IngestError
from ingest.records import RawRecord
from ingest.records import ReadResult

if TYPE_CHECKING:
    from pathlib import Path

    from ingest.records import Kind

ORGANIZATION_KEYS = frozenset((
    "services", "locations", "website", "legal_status", "tax_status", "year_incorporated",
    "parent_organization_id", "organization_identifiers", "logo", "programs",
))
SERVICE_KEYS = frozenset((
    "organization", "organization_id", "service_at_locations", "schedules", "status",
    "program", "eligibility_description", "application_process", "fees_description",
))
CHARITY_SCHEMES = frozenset(("GB-CHC", "GB-SC", "GB-NIC"))
STATUSES = {"active": "open", "inactive": "closed", "defunct": "closed",
            "temporarily closed": "paused"}
_BYDAY = re.compile(r"^[+-]?\d*([A-Za-z]{2})$")

Item = tuple[int, dict[str, Any], str | None]


def looks_like_hsds(obj: Any) -> bool:
    """Whether a JSON object has the keys of an HSDS organization, service or SAL."""
    if not isinstance(obj, dict):
        return False
    keys = set(obj)
    return bool(keys & (ORGANIZATION_KEYS | SERVICE_KEYS) - {"status", "logo", "website"}) or (
        "service" in keys and "location" in keys) or bool(
        keys & {"organizations", "service_at_locations"})


def read_hsds(path: Path, kind: Kind, *, id_column: str | None = None) -> ReadResult:
    """Read HSDS/ORUK organizations (as associations) or services (as opportunities).

    Parameters
    ----------
    path
        A ``.json`` file or a folder of HSDS CSV files.
    kind
        ``"associations"`` or ``"opportunities"``.
    id_column
        Not used: HSDS ids are the ids (a warning says so).

    Returns
    -------
    ReadResult
        One record per organization or service.

    Raises
    ------
    IngestError
        Not JSON, no HSDS objects, or a folder without organizations.csv/services.csv.
    """
    check_kind(kind, "hsds", ("associations", "opportunities"))
    result = ReadResult([], "hsds")
    if id_column is not None:
        result.warnings.append(f"id_column {id_column!r} ignored: HSDS ids are the ids")
    items = _csv_folder(path) if path.is_dir() else _json_items(path, result)
    organizations, services, skipped = _collect(
        items, default="organization" if kind == "associations" else "service")
    result.errors += [row_error(row, "a location on its own, neither organization nor service",
                                field="type") for row in skipped]
    if kind == "associations":
        for row, org, fallback in organizations.values():
            result.records.append(_association(row, org, fallback))
    else:
        for row, service, org, locations in services.values():
            result.records.append(_opportunity(row, service, org, locations))
    if not result.records:
        what = "organizations" if kind == "associations" else "services"
        result.warnings.append(f"{path.name!r} holds no HSDS {what}")
    return result


def _json_items(path: Path, result: ReadResult) -> list[Item]:
    doc = load_json(path)
    if isinstance(doc, dict) and isinstance(doc.get("contents"), list):
        doc = doc["contents"]
    if isinstance(doc, dict) and "id" not in doc and any(
        isinstance(doc.get(k), list) for k in ("organizations", "services", "service_at_locations")
    ):
        hints = {"organizations": "organization", "services": "service",
                 "service_at_locations": "service_at_location"}
        return [(row, obj, hint) for key, hint in hints.items()
                for row, obj in enumerate(as_list(doc.get(key)), start=1)
                if isinstance(obj, dict)]
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list):
        msg = f"{path.name!r} is not HSDS: expected objects, found {type(doc).__name__}"
        raise IngestError(msg)
    items: list[Item] = []
    for row, obj in enumerate(doc, start=1):
        if isinstance(obj, dict):
            items.append((row, obj, None))
        else:
            result.errors.append(row_error(row, f"item is {type(obj).__name__}, not an object"))
    return items


def _classify(obj: dict[str, Any], default: str) -> str:
    if isinstance(obj.get("service"), dict):
        return "service_at_location"
    if "location_type" in obj or {"latitude", "addresses"} <= obj.keys():
        return "location"
    if "services" in obj:
        return "organization"
    if obj.keys() & SERVICE_KEYS:
        return "service"
    if obj.keys() & ORGANIZATION_KEYS:
        return "organization"
    return "organization" if "locations" in obj else default


def _collect(
    items: list[Item], *, default: str
) -> tuple[dict[Any, Any], dict[Any, Any], list[int]]:
    """Organizations by id: (row, org, fallback locations); services: (row, svc, org, locs).

    Also the rows of stand-alone locations, which are neither.
    """
    organizations: dict[Any, list[Any]] = {}
    services: dict[Any, list[Any]] = {}
    skipped: list[int] = []

    def add_org(row: int, org: Any, locations: list[Any]) -> None:
        if not isinstance(org, dict):
            return
        key = org.get("id") or f"row-{row}-{org.get('name')}"
        entry = organizations.setdefault(key, [row, org, []])
        if len(org) > len(entry[1]):
            entry[1] = org  # the fuller copy (a full object beats an embedded summary)
        entry[2].extend(locations)

    def add_service(row: int, svc: Any, org: Any, locations: list[Any]) -> None:
        if not isinstance(svc, dict):
            return
        org = svc.get("organization") if isinstance(svc.get("organization"), dict) else org
        locations = [*_service_locations(svc), *locations]
        key = svc.get("id") or f"row-{row}-{svc.get('name')}"
        entry = services.setdefault(key, [row, svc, org, []])
        entry[3].extend(locations)
        add_org(row, org, locations)

    for row, obj, hint in items:
        kind = hint or _classify(obj, default)
        if kind == "location":
            skipped.append(row)
        elif kind == "service_at_location":
            add_service(row, obj.get("service"), None, [obj.get("location")])
        elif kind == "service":
            add_service(row, obj, None, [])
        else:
            add_org(row, obj, [])
            for svc in as_list(obj.get("services")):
                add_service(row, svc, obj, [])
    return organizations, services, skipped


def _service_locations(service: dict[str, Any]) -> list[Any]:
    return [sal.get("location") for sal in as_list(service.get("service_at_locations"))
            if isinstance(sal, dict)] + as_list(service.get("locations"))


def _association(row: int, org: dict[str, Any], fallback: list[Any]) -> RawRecord:
    record = RawRecord(row, {
        "source_id": clean(org.get("id")),
        "name": clean(org.get("name")),
        "description": clean(org.get("description")),
        "website": first_present(org, "website", "url", "uri"),
        "contact_email": clean(org.get("email")),
        "contact_phone": _first_phone(org),
        "charity_number": _charity_number(org),
    })
    own = [loc for loc in as_list(org.get("locations")) if isinstance(loc, dict)]
    _place(record, own or fallback, what="organization" if own else "its services")
    return record


def _opportunity(
    row: int, service: dict[str, Any], org: Any, locations: list[Any]
) -> RawRecord:
    org = org if isinstance(org, dict) else {}
    schedules = [s for s in as_list(service.get("schedules")) if isinstance(s, dict)]
    for sal in as_list(service.get("service_at_locations")):
        if isinstance(sal, dict):
            schedules += [s for s in as_list(sal.get("schedules")) if isinstance(s, dict)]
    status = clean(service.get("status"))
    record = RawRecord(row, {
        "source_id": clean(service.get("id")),
        "title": clean(service.get("name")),
        "description": clean(service.get("description")),
        "association": clean(org.get("id")) or clean(service.get("organization_id"))
        or clean(org.get("name")),
        "association_name": clean(org.get("name")),
        "association_website": first_present(org, "website", "url", "uri"),
        "interests": _terms(service),
        "status": STATUSES.get(str(status).lower(), status) if status is not None else None,
    })
    _schedule(record, schedules)
    _place(record, locations, what="service")
    return record


def _first_phone(obj: dict[str, Any]) -> Any:
    phones = as_list(obj.get("phones"))
    for contact in as_list(obj.get("contacts")):
        if isinstance(contact, dict):
            phones += as_list(contact.get("phones"))
    for phone in phones:
        number = clean(phone.get("number")) if isinstance(phone, dict) else clean(phone)
        if number is not None:
            return number
    return None


def _charity_number(org: dict[str, Any]) -> Any:
    for ident in as_list(org.get("organization_identifiers")):
        if not isinstance(ident, dict):
            continue
        scheme = str(ident.get("identifier_scheme") or "").upper()
        if scheme in CHARITY_SCHEMES or "charity" in str(ident.get("identifier_type")).lower():
            return clean(ident.get("identifier"))
    return None


def _terms(service: dict[str, Any]) -> list[Any]:
    terms: list[Any] = []
    for attribute in as_list(service.get("attributes")):
        if isinstance(attribute, dict):
            terms.append(attribute.get("taxonomy_term"))
    terms += as_list(service.get("taxonomy_terms")) + as_list(service.get("categories"))
    names: list[Any] = []
    for term in terms:
        name = first_present(term, "name", "term", "code", "term_uri") if isinstance(
            term, dict) else clean(term)
        if name is not None and name not in names:
            names.append(name)
    return names


def _schedule(record: RawRecord, schedules: list[dict[str, Any]]) -> None:
    days: list[Any] = []
    times: list[tuple[Any, Any]] = []
    for schedule in schedules:
        tokens = [t.strip() for t in str(clean(schedule.get("byday")) or "").split(",")]
        for token in [*tokens, *as_list(clean(schedule.get("weekday")))]:
            if token in ("", None):
                continue
            m = _BYDAY.match(token) if isinstance(token, str) else None
            day = weekday_number(m[1] if m else token)
            if day not in days:
                days.append(day)
        span = (clean(schedule.get("opens_at")), clean(schedule.get("closes_at")))
        if span != (None, None) and span not in times:
            times.append(span)
        freq = str(clean(schedule.get("freq")) or "WEEKLY").upper()
        if freq != "WEEKLY":
            record.warnings.append(f"schedule repeats {freq.lower()}: read as weekly")
    record.data["weekdays"] = days or None
    start, end = times[0] if times else (None, None)
    record.data["start_time"], record.data["end_time"] = start, end
    if len(times) > 1:
        record.warnings.append(f"{len(times)} different opening times: the first used")


def _place(record: RawRecord, locations: list[Any], *, what: str) -> None:
    locations = [loc for loc in locations if isinstance(loc, dict)]
    if not locations:
        return
    physical = [loc for loc in locations
                if str(loc.get("location_type") or "physical").lower() == "physical"]
    location = (physical or locations)[0]
    ids = {loc.get("id") for loc in locations}
    if len(ids) > 1:
        record.warnings.append(f"{len(ids)} locations of the {what}: the first used")
    addresses = [a for a in as_list(location.get("addresses") or location.get(
        "physical_addresses") or location.get("physical_address")) if isinstance(a, dict)]
    address = next((a for a in addresses
                    if str(a.get("address_type") or "physical").lower() == "physical"),
                   addresses[0] if addresses else {})
    record.data |= {
        "lat": clean(location.get("latitude")),
        "lon": clean(location.get("longitude")),
        "address": join_address(address.get("address_1"), address.get("address_2"),
                                address.get("city"), address.get("state_province"),
                                address.get("postal_code"), address.get("country")),
        "postcode": clean(address.get("postal_code")),
    }


def _csv_folder(folder: Path) -> list[Item]:
    """The HSDS tabular layout as nested objects: organizations, then services."""
    tables = {p.name.lower(): p for p in folder.iterdir() if p.suffix.lower() == ".csv"}
    if "organizations.csv" not in tables and "services.csv" not in tables:
        msg = (f"folder {folder.name!r} is not an HSDS CSV folder: it has neither "
               "organizations.csv nor services.csv")
        raise IngestError(msg)

    def rows(*names: str) -> list[tuple[int, dict[str, Any]]]:
        for name in names:
            if name in tables:
                with open_table(tables[name]) as table:
                    keys = [normalise_key(h) for h in table.header]
                    return [(row, {k: clean(v) for k, v in zip(keys, cells, strict=False)})
                            for row, cells in table.rows]
        return []

    def by(records: list[tuple[int, dict[str, Any]]], key: str) -> dict[Any, list[Any]]:
        out: dict[Any, list[Any]] = {}
        for _, rec in records:
            out.setdefault(rec.get(key), []).append(rec)
        return out

    addresses = by(rows("addresses.csv", "address.csv"), "location_id")
    locations = {rec.get("id"): rec | {"addresses": addresses.get(rec.get("id"), [])}
                 for _, rec in rows("locations.csv")}
    terms = {rec.get("id"): rec for _, rec in rows("taxonomy_terms.csv")}
    attributes = by(rows("attributes.csv", "attribute.csv"), "link_id")
    schedules = by(rows("schedules.csv", "schedule.csv"), "service_id")
    sal = by(rows("service_at_location.csv", "service_at_locations.csv"), "service_id")
    phones = by(rows("phones.csv"), "organization_id")
    idents = by(rows("organization_identifiers.csv"), "organization_id")
    organizations = {}
    items: list[Item] = []
    for row, rec in rows("organizations.csv"):
        org = rec | {"phones": phones.get(rec.get("id"), []),
                     "organization_identifiers": idents.get(rec.get("id"), [])}
        organizations[rec.get("id")] = org
        items.append((row, org, "organization"))
    for row, rec in rows("services.csv"):
        sid = rec.get("id")
        service = rec | {
            "organization": organizations.get(rec.get("organization_id")),
            "schedules": schedules.get(sid, []),
            "service_at_locations": [{"location": locations.get(link.get("location_id"))}
                                     for link in sal.get(sid, [])],
            "attributes": [{"taxonomy_term": terms.get(a.get("taxonomy_term_id"))}
                           for a in attributes.get(sid, [])],
        }
        items.append((row, service, "service"))
    return items
