"""The OpenAPI 3 document of the JSON API (``/api/openapi.json``) and its docs page.

One place describes every ``/api`` answer, including the one error body
``{"error", "detail", "status"}``; ``tests/test_openapi.py`` runs schemathesis against it, so
an answer that drifts from this document fails the suite.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import jsonify
from flask import render_template

from domain.outcomes import MAX_HOURS
from domain.outcomes import MAX_PEERS
from domain.outcomes import PERIOD_UNITS
from domain.outcomes import RECORDED_BY
from domain.status import ATTENDANCE
from domain.status import OPPORTUNITY_STATUSES
from domain.status import ORG_STATUSES
from matching.query import COMMITMENTS
from matching.skills import SKILLS
from matching.taxonomy import SLUGS
from service.usecases.params import MAX_RADIUS_KM
from service.usecases.params import MIN_RADIUS_KM
from service.usecases.search import REMOTE_CHOICES

bp = Blueprint("openapi", __name__)

STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
ID = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
STRS = {"type": "array", "items": STR}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _obj(props: dict[str, Any], *, required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": props,
            "required": required if required is not None else list(props)}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _param(name: str, schema: dict[str, Any], text: str = "", *, where: str = "query",
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path",
            "schema": schema, "description": text}


FEED_HEADERS = {name: {"schema": STR, "description": text} for name, text in (
    ("ETag", "send back as If-None-Match"),
    ("Last-Modified", "when a public meeting or organisation last changed"),
    ("Access-Control-Allow-Origin", "*: any site may read the feed"),
)}
ERRORS = {
    "400": _json(_ref("Error"), "a parameter is missing, malformed or out of range"),
    "404": _json(_ref("Error"), "an unknown postcode, place, meeting or record"),
}
RADIUS_KM = {"type": "number", "minimum": MIN_RADIUS_KM, "maximum": MAX_RADIUS_KM}
RADIUS = _param("radius_km", RADIUS_KM, "search radius in km (default 15)")
ON_DATE = _param("on", {"type": "string", "format": "date"},
                 "count meetings that serve people on this date (default today)")
LISTING = [
    _param("lat", {"type": "number", "minimum": -90, "maximum": 90}),
    _param("lon", {"type": "number", "minimum": -180, "maximum": 180}),
    _param("radius_km", RADIUS_KM, "with lat and lon: only records within this many km"),
    _param("bbox", STR, "west,south,east,north in degrees"),
    _param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page size (100)"),
    _param("offset", {"type": "integer", "minimum": 0}, "records to skip"),
]

SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": STR, "detail": STR, "status": INT}),
    "Origin": _obj({"kind": STR, "label": STR, "lat": NUM, "lon": NUM,
                    "meeting_id": _nullable(INT), "organisation_id": _nullable(INT),
                    "precision": STR}),
    "Recommendation": _obj({
        "opportunity_id": INT, "title": STR, "association": STR, "association_id": INT,
        "category": STR, "distance_km": _nullable(NUM), "score": NUM, "reasons": STRS,
        "lat": NUM, "lon": NUM, "interests": STRS, "skills": STRS,
        "places_left": _nullable(INT), "starts_on": _nullable(STR)}),
    "Understood": _obj({"interest": STR, "label": STR, "from": STR,
                        "related": {"type": "boolean"}}),
    "Recommendations": _obj({
        "origin": _ref("Origin"), "query": {"type": "object"},
        "results": {"type": "array", "items": _ref("Recommendation")},
        "understood": {"type": "array", "items": _ref("Understood")},
        "page": INT, "page_size": INT, "total": _nullable(INT),
        "remote": {"type": "array", "items": _ref("Recommendation")}}),
    "Feature": _obj({"type": {"type": "string", "enum": ["Feature"]}, "id": INT,
                     "geometry": _nullable({"type": "object"}),
                     "properties": {"type": "object"}}),
    "FeatureCollection": _obj({
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": _ref("Feature")},
        "total": INT, "limit": INT, "offset": INT, "next": _nullable(STR)}),
    "MeetingGuideMeeting": _obj({
        "name": STR, "slug": STR, "day": {"type": "integer", "minimum": 0, "maximum": 6},
        "time": STR, "end_time": STR, "timezone": STR, "location": STR,
        "location_notes": STR, "formatted_address": STR, "postal_code": STR,
        "latitude": NUM, "longitude": NUM, "approximate": {"type": "string",
                                                           "enum": ["yes", "no"]},
        "types": STRS, "attendance_option": {"type": "string", "enum": [
            "in_person", "online", "hybrid", "inactive"]},
        "conference_url": STR, "conference_phone": STR, "notes": STR, "group": STR,
        "regions": STRS, "updated": STR},
        required=["name", "slug", "timezone", "formatted_address", "approximate"]),
    "Reach": _obj({"radius_km": NUM, "meetings_in_reach": INT, "meetings_it_fits": INT,
                   "meetings_already_linked": INT, "organisations_in_reach": INT,
                   "interests": STRS, "meetings": {"type": "array", "items": _obj({
                       "meeting_id": INT, "name": STR, "organisation": _nullable(STR),
                       "organisation_id": _nullable(INT), "distance_km": NUM, "fits": STRS,
                       "linked": BOOL})}},
                  required=["radius_km", "meetings_in_reach", "meetings"]),
    "Links": _obj({"organisation": {"type": "object"}, "radius_km": NUM, "already_linked": INT,
                   "group_interests": STRS, "results": {"type": "array", "items": _obj({
                       "association_id": INT, "association": STR, "category": STR,
                       "distance_km": NUM, "score": NUM, "reasons": STRS},
                       required=["association_id", "association", "distance_km"])}}),
    "CoverageRow": _obj({"name": STR, "population": INT, "covered_population": INT,
                         "covered_share": _nullable(NUM)},
                        required=["name", "population", "covered_population"]),
    "Coverage": _obj({
        "radius_km": NUM, "on": _nullable(STR), "meetings": INT, "population": INT,
        "population_source": _nullable(STR), "covered_population": INT,
        "covered_share": _nullable(NUM),
        "by_region": {"type": "array", "items": _ref("CoverageRow")},
        "by_hotspot": {"type": "array", "items": _ref("CoverageRow")},
        "gaps": {"type": "array", "items": _obj({
            "name": STR, "place": STR, "lat": NUM, "lon": NUM, "population": INT,
            "distance_km": _nullable(NUM)})}}),
    "Sites": _obj({
        "radius_km": NUM, "method": STR, "added_population": INT,
        "uncovered_population": INT, "greedy_population": INT,
        "optimal_population": _nullable(INT), "gap": _nullable(NUM), "note": STR,
        "sites": {"type": "array", "items": _obj({
            "name": STR, "at": STR, "lat": NUM, "lon": NUM, "added_population": INT,
            "places": {"type": "array", "items": _obj({"name": STR, "population": INT})},
            "devolve_from": _nullable(_obj({
                "organisation_id": _nullable(INT), "name": _nullable(STR),
                "distance_km": _nullable(NUM), "readiness": _nullable(NUM),
                "reasons": STR}))})}}),
    "WhatIf": _obj({"lat": NUM, "lon": NUM, "radius_km": NUM, "added_population": INT,
                    "places": {"type": "array", "items": _obj({"name": STR,
                                                               "population": INT})}},
                   required=["added_population", "places"]),
    "PartnerOpportunity": {"type": "object", "properties": {
        "id": INT, "title": STR, "description": _nullable(STR),
        "interests": {"type": "array", "items": {"type": "string", "enum": list(SLUGS)}},
        "skills": STRS, "weekdays": {"type": "array", "items": INT},
        "start_time": _nullable(STR), "end_time": _nullable(STR), "flexible": BOOL,
        "commitment": _nullable(STR), "capacity": _nullable(INT), "places_taken": INT,
        "status": {"type": "string", "enum": list(OPPORTUNITY_STATUSES)},
        "lat": _nullable(NUM), "lon": _nullable(NUM), "postcode": _nullable(STR)},
        "required": ["id", "title", "status"]},
    "Outcome": _obj({
        "id": INT, "association_id": INT, "organisation_id": _nullable(INT),
        "opportunity_id": _nullable(INT),
        "recorded_by": {"type": "string", "enum": list(RECORDED_BY)},
        "period": STR, "period_unit": {"type": "string", "enum": list(PERIOD_UNITS)},
        "peers_taking_part": {"type": "integer", "minimum": 0, "maximum": MAX_PEERS},
        "hours": {"type": "number", "minimum": 0, "maximum": MAX_HOURS},
        "went_on_to_volunteer": {"type": "integer", "minimum": 0, "maximum": MAX_PEERS},
        "became_licensed": {"type": "integer", "minimum": 0, "maximum": MAX_PEERS},
        "skills": {"type": "array", "items": {"type": "string",
                                              "enum": [k.slug for k in SKILLS]}}}),
    "Health": _obj({"status": STR, "backend": STR}),
    "MeetingLookup": _obj({"q": STR, "results": {"type": "array", "items": _obj({
        "id": INT, "name": STR, "when": STR, "venue": _nullable(STR),
        "attendance": {"type": "string", "enum": list(ATTENDANCE)}},
        required=["id", "name", "when", "attendance"])}}, required=["q", "results"]),
}


OUTCOME_BODY = {"type": "object", "required": ["period"], "properties": {
    "period": {"type": "string", "description": "a month YYYY-MM or a day YYYY-MM-DD"},
    "opportunity_id": _nullable(INT), "organisation_id": _nullable(INT),
    "peers_taking_part": INT, "hours": NUM, "went_on_to_volunteer": INT,
    "became_licensed": INT, "skills": STRS}}


def _paths() -> dict[str, Any]:
    rec_params = [
        _param("lat", {"type": "number", "minimum": -90, "maximum": 90}),
        _param("lon", {"type": "number", "minimum": -180, "maximum": 180}),
        _param("postcode", STR, "full postcode, district or area"),
        _param("place", STR, "a town or city"),
        _param("meeting_id", INT, "search from this meeting (and its organisation)"),
        _param("interests", STR, f"comma-separated, from: {', '.join(SLUGS)}"),
        _param("text", STR, "free text, such as 'outdoors and fixing bikes'"), RADIUS,
        _param("limit", {"type": "integer", "minimum": 1, "maximum": 50}, "default 10"),
        _param("per_association", {"type": "integer", "minimum": 1, "maximum": 10},
               "results per association (default 2)"),
        _param("association_id", INT), _param("organisation_id", INT),
        _param("days", STR, "e.g. sat,sun or weekdays"),
        _param("times", STR, "morning, afternoon, evening or HH:MM-HH:MM"),
        _param("page", {"type": "integer", "minimum": 1}, "page of page_size results"),
        _param("page_size", {"type": "integer", "minimum": 1, "maximum": 50},
               "results per page (default 10; same as limit)"),
        _param("ignore", STR, "interests understood from text that the peer removed"),
        _param("fits_week", {"type": "string", "enum": ["0", "1", "true", "false"]},
               "only listings that fit days and times"),
        _param("commitment", {"type": "string", "enum": list(COMMITMENTS)}),
        _param("accessibility", STR, "comma-separated features every listing must have"),
        _param("groups", {"type": "string", "enum": ["0", "1", "true", "false"]},
               "only listings with room for a group"),
        _param("remote", {"type": "string", "enum": list(REMOTE_CHOICES)},
               "remote listings in their own group (include), only, or exclude"),
    ]
    geo = {"application/geo+json": {"schema": _ref("FeatureCollection")},
           "application/json": {"schema": _ref("FeatureCollection")}}
    bearer = [{"bearer": []}]
    unauthorised = {"401": _json(_ref("Error"), "no or bad bearer token"),
                    "403": _json(_ref("Error"), "another association's record")}
    return {
        "/healthz": {"get": {"summary": "Whether the store answers", "responses": {
            "200": _json(_ref("Health")), "503": _json(_ref("Health"), "unavailable")}}},
        "/api/recommendations": {"get": {
            "summary": "Opportunities for a peer, best first, with reasons",
            "description": "Give exactly one origin: lat+lon, postcode, place or meeting_id.",
            "parameters": rec_params,
            "responses": {"200": _json(_ref("Recommendations")), **ERRORS}}},
        "/api/meetings": {"get": {
            "summary": "Meetings as GeoJSON (paged)",
            "parameters": [_param("attendance", {"type": "string", "enum": list(ATTENDANCE)}),
                           _param("active", {"type": "string", "enum": ["true", "false"]}),
                           *LISTING],
            "responses": {"200": {"description": "OK", "content": geo}, **ERRORS}}},
        "/api/meetings/lookup": {"get": {
            "summary": "Active meetings by part of their name, venue or town (for choosers)",
            "parameters": [
                _param("q", STR, "words of the name, venue or town, such as 'Wigan library'",
                       required=True),
                _param("limit", {"type": "integer", "minimum": 1, "maximum": 30},
                       "default 30")],
            "responses": {"200": _json(_ref("MeetingLookup")), **ERRORS}}},
        "/api/meetings/feed.json": {"get": {
            "summary": "Public meetings in the Meeting Guide JSON format (for TSML UI, ...)",
            "description": (
                "Active meetings of approved organisations, one entry per weekday. Public "
                "data, served to any site (Access-Control-Allow-Origin: *). Send the ETag "
                "back as If-None-Match (or Last-Modified as If-Modified-Since) for a 304."),
            "parameters": [_param("organisation", {"type": "integer", "minimum": 1},
                                  "only this approved peer organisation's meetings")],
            "responses": {
                "200": {**_json({"type": "array", "items": _ref("MeetingGuideMeeting")}),
                        "headers": FEED_HEADERS},
                "304": {"description": "not modified since If-None-Match/If-Modified-Since",
                        "headers": FEED_HEADERS},
                "400": _json(_ref("Error"), "organisation is not a whole number >= 1, or an "
                             "unknown parameter"),
                "404": _json(_ref("Error"), "no approved peer organisation has this id")}}},
        "/api/opportunities": {"get": {
            "summary": ("Needs peers can take up as GeoJSON: open, with a place left, not "
                        "ended, of an approved association (other statuses answer none)"),
            "parameters": [
                _param("status", {"type": "string",
                                  "enum": [*OPPORTUNITY_STATUSES, "any"]}),
                _param("category", STR, "the association's category"),
                _param("interest", {"type": "string", "enum": list(SLUGS)}),
                _param("association_id", {"type": "integer", "minimum": 1}), *LISTING],
            "responses": {"200": {"description": "OK", "content": geo}, **ERRORS}}},
        "/api/associations": {"get": {
            "summary": ("Approved associations as GeoJSON; another status needs a staff "
                        "(admin or hotspot lead) bearer token"),
            "parameters": [_param("status", {"type": "string", "enum": [*ORG_STATUSES, "any"]}),
                           _param("category", STR), *LISTING],
            "responses": {"200": {"description": "OK", "content": geo},
                          "401": _json(_ref("Error"), "a status other than approved, "
                                                      "without a staff token"),
                          **ERRORS}}},
        "/api/opportunities/{opportunity_id}/reach": {"get": {
            "summary": "Active meetings within reach of a listing, and which it fits",
            "parameters": [_param("opportunity_id", ID, where="path"), RADIUS],
            "responses": {"200": _json(_ref("Reach")), **ERRORS}}},
        "/api/associations/{association_id}/reach": {"get": {
            "summary": "Active meetings within reach of an association",
            "parameters": [_param("association_id", ID, where="path"), RADIUS],
            "responses": {"200": _json(_ref("Reach")), **ERRORS}}},
        "/api/organisations/{organisation_id}/links-worth-making": {"get": {
            "summary": "Nearby associations without a mutual-interest link yet",
            "parameters": [_param("organisation_id", ID, where="path"), RADIUS,
                           _param("limit", {"type": "integer", "minimum": 1, "maximum": 50})],
            "responses": {"200": _json(_ref("Links")), **ERRORS}}},
        "/api/coverage": {"get": {
            "summary": "Covered population overall, per region and per hotspot tree; gaps",
            "parameters": [_param("radius_km", RADIUS_KM,
                                  "reach of a meeting in km (default 10)"), ON_DATE],
            "responses": {"200": _json(_ref("Coverage")), "400": ERRORS["400"]}}},
        "/api/coverage/what-if": {"get": {
            "summary": "The people a new group at lat/lon would add, and where they live",
            "parameters": [
                _param("lat", {"type": "number", "minimum": -90, "maximum": 90},
                       required=True),
                _param("lon", {"type": "number", "minimum": -180, "maximum": 180},
                       required=True),
                _param("radius_km", RADIUS_KM, "reach of a meeting in km (default 10)"),
                ON_DATE],
            "responses": {"200": _json(_ref("WhatIf")), "400": ERRORS["400"]}}},
        "/api/sites/suggest": {"get": {
            "summary": "Sites for new groups that newly cover the most people",
            "parameters": [
                _param("radius_km", RADIUS_KM, "reach of a meeting in km (default 10)"),
                _param("count", {"type": "integer", "minimum": 1, "maximum": 50}), ON_DATE],
            "responses": {"200": _json(_ref("Sites")), "400": ERRORS["400"]}}},
        "/api/partner/opportunities": {
            "get": {"summary": "The partner's opportunities", "security": bearer,
                    "parameters": [_param("status", {"type": "string",
                                                     "enum": list(OPPORTUNITY_STATUSES)})],
                    "responses": {"200": _json(_obj({
                        "association": {"type": "object"},
                        "results": {"type": "array", "items": _ref("PartnerOpportunity")}})),
                        "400": ERRORS["400"], **unauthorised}},
            "post": {"summary": "Add an opportunity", "security": bearer,
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"type": "object", "required": ["title"]}}}},
                     "responses": {"201": _json(_ref("PartnerOpportunity"), "created"),
                                   "400": ERRORS["400"], **unauthorised}}},
        "/api/partner/opportunities/{opportunity_id}": {
            "get": {"summary": "One of the partner's opportunities", "security": bearer,
                    "parameters": [_param("opportunity_id", ID, where="path")],
                    "responses": {"200": _json(_ref("PartnerOpportunity")),
                                  "404": ERRORS["404"], **unauthorised}},
            "patch": {"summary": "Change some fields", "security": bearer,
                      "parameters": [_param("opportunity_id", ID, where="path")],
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": {"type": "object"}}}},
                      "responses": {"200": _json(_ref("PartnerOpportunity")),
                                    "400": ERRORS["400"], "404": ERRORS["404"],
                                    **unauthorised}}},
        "/api/partner/outcomes": {
            "get": {"summary": "Outcome records about the partner's association, newest first",
                    "security": bearer,
                    "parameters": [_param("opportunity_id", {**ID, "minimum": 1},
                                          "only the records of this need of yours")],
                    "responses": {"200": _json(_obj({
                        "association": {"type": "object"},
                        "results": {"type": "array", "items": _ref("Outcome")}})),
                        "400": ERRORS["400"], "404": ERRORS["404"], **unauthorised}},
            "post": {"summary": "Record outcomes of a need or a link (counts only)",
                     "security": bearer,
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": OUTCOME_BODY}}},
                     "responses": {"201": _json(_ref("Outcome"), "created"),
                                   "400": ERRORS["400"], "404": ERRORS["404"],
                                   **unauthorised}}},
        "/api/partner/outcomes/{outcome_id}": {
            "get": {"summary": "One outcome record about the partner's association",
                    "security": bearer,
                    "parameters": [_param("outcome_id", ID, where="path")],
                    "responses": {"200": _json(_ref("Outcome")), "404": ERRORS["404"],
                                  **unauthorised}},
            "patch": {"summary": "Change some fields of one of your own records",
                      "security": bearer,
                      "parameters": [_param("outcome_id", ID, where="path")],
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": {**OUTCOME_BODY, "required": []}}}},
                      "responses": {"200": _json(_ref("Outcome")), "400": ERRORS["400"],
                                    "404": ERRORS["404"], **unauthorised}},
            "delete": {"summary": "Delete one of your own records",
                       "security": bearer,
                       "parameters": [_param("outcome_id", ID, where="path")],
                       "responses": {"204": {"description": "deleted"}, "404": ERRORS["404"],
                                     **unauthorised}}},
    }


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.0 document."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "CommonGround API", "version": "1",
                 "description": "Volunteering near ACT Peer Recovery meetings, coverage of "
                                "the meetings, and the partner API. Errors are "
                                '{"error", "detail", "status"}.'},
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "a partner token (cg_...)"}},
        },
    }


@bp.get("/api/openapi.json")
def openapi_json() -> Any:
    """The OpenAPI document."""
    return jsonify(openapi_document())


@bp.get("/api/docs")
def docs() -> Any:
    """A readable page of the API, generated from the document (no external scripts)."""
    return render_template("api_docs.html", doc=openapi_document())
