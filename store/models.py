"""The domain of ARCHITECTURE.md as typed SQLAlchemy 2 models, one set for both backends.

Positions are stored as WGS84 ``lat``/``lon`` columns on every backend: they are the system
of record, and every final distance is computed from them in Python, so SQLite and PostGIS
give bit-identical answers. On PostGIS the migration adds ``geom geometry(Point, 4326)``, a
stored column generated from ``lon``/``lat`` with a GiST index, which the PostGIS queries use
as their pre-filter (see :mod:`store.spatial`). It is mapped here as a deferred,
server-computed column, so the ORM never writes it and never reads it unless asked.

Model methods never commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import Computed
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import Time
from sqlalchemy import UniqueConstraint
from sqlalchemy import func
from sqlalchemy import true
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from domain.outcomes import PERIOD_UNITS
from domain.outcomes import RECORDED_BY
from domain.status import ATTENDANCE
from domain.status import CONTACT_METHODS
from domain.status import INTEREST_STATUSES
from domain.status import OPPORTUNITY_STATUSES
from domain.status import ORG_STATUSES
from domain.status import PRECISIONS
from domain.status import REVIEW_DECISIONS
from domain.status import ROLES
from domain.status import TOKEN_PURPOSES

# The PostGIS ``geom`` column is generated from lon/lat. The migration creates it on PostGIS
# only; being server-computed and deferred, the ORM neither writes nor reads it.
_GEOM_FROM_LONLAT = Computed("ST_SetSRID(ST_MakePoint(lon, lat), 4326)", persisted=True)


def _geom_column() -> Any:
    return mapped_column(
        Geometry("POINT", 4326, spatial_index=False), _GEOM_FROM_LONLAT, nullable=True,
        deferred=True,
    )


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base of every CommonGround table."""

    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 - SQLAlchemy's documented hook
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[int]: JSON,
    }


class Timestamped:
    """``created_at``/``updated_at`` (UTC, naive) maintained by the ORM."""

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow, onupdate=_utcnow)


class Located:
    """A WGS84 position, how it was obtained, and the PostGIS-only ``geom`` mirror."""

    # Never fetch server-generated columns after INSERT: ``geom`` does not exist on SQLite.
    __mapper_args__: dict[str, Any] = {"eager_defaults": False}  # noqa: RUF012

    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_precision: Mapped[str] = mapped_column(String(16), default="exact")
    postcode: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(Text)


class Sourced:
    """Where a record came from, for idempotent re-ingest, and the demo flag."""

    source: Mapped[str] = mapped_column(String(200), default="manual")
    source_id: Mapped[str | None] = mapped_column(String(200))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Region(Base):
    """One of the programme's regions."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    boundary_geojson: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    organisations: Mapped[list[PeerOrganisation]] = relationship(back_populates="region")


class PeerOrganisation(Timestamped, Located, Sourced, Base):
    """A local peer-led organisation; ``approved`` ones are approved partners.

    ``parent_id`` is the organisation it was devolved from: the growth tree.
    """

    __tablename__ = "peer_organisations"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_peer_organisations_source"),
        CheckConstraint(_in("status", ORG_STATUSES), name="ck_peer_organisations_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    is_hotspot: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("peer_organisations.id"))
    founded_on: Mapped[dt.date | None] = mapped_column(Date)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    town: Mapped[str | None] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = _geom_column()

    region: Mapped[Region | None] = relationship(back_populates="organisations")
    parent: Mapped[PeerOrganisation | None] = relationship(remote_side=[id])
    meetings: Mapped[list[Meeting]] = relationship(back_populates="organisation")
    volunteers: Mapped[list[Volunteer]] = relationship(back_populates="organisation")


class Meeting(Timestamped, Located, Sourced, Base):
    """An ACT Peer Recovery meeting of an organisation."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_meetings_source"),
        CheckConstraint(_in("attendance", ATTENDANCE), name="ck_meetings_attendance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("peer_organisations.id"))
    name: Mapped[str] = mapped_column(String(200))
    weekdays: Mapped[list[int]] = mapped_column(default=list)
    """0 = Sunday ... 6 = Saturday, as in the Meeting Guide format."""
    start_time: Mapped[dt.time | None] = mapped_column(Time)
    end_time: Mapped[dt.time | None] = mapped_column(Time)
    venue: Mapped[str | None] = mapped_column(String(200))
    attendance: Mapped[str] = mapped_column(String(16), default="in_person")
    conference_url: Mapped[str | None] = mapped_column(String(500))
    accessibility: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Meeting Guide fields kept as the source gave them, so a feed round trip loses nothing
    # (migration 0005). ``approximate`` is ``location_precision``; ``updated`` is ``updated_at``.
    types: Mapped[list[str] | None] = mapped_column(JSON)
    """Meeting Guide type codes (``O``, ``W``, ``X`` ...), as given."""
    regions: Mapped[list[str] | None] = mapped_column(JSON)
    """Region hierarchy, most general first (the spec's ``regions``)."""
    conference_phone: Mapped[str | None] = mapped_column(String(60))
    location_notes: Mapped[str | None] = mapped_column(Text)
    group_name: Mapped[str | None] = mapped_column(String(200))
    """The spec's ``group``: who holds the meeting, as the source names it."""
    timezone: Mapped[str | None] = mapped_column(String(64))
    feed_extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The spec's other public fields (``url``, ``conference_url_notes``, ``venmo`` ...)."""
    geom: Mapped[Any] = _geom_column()

    organisation: Mapped[PeerOrganisation | None] = relationship(back_populates="meetings")


class Volunteer(Timestamped, Base):
    """A licensed volunteer peer. Minimal personal data: a display name and the licence."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("peer_organisations.id"))
    display_name: Mapped[str] = mapped_column(String(120))
    licence_number: Mapped[str] = mapped_column(String(40), unique=True)
    licence_valid_until: Mapped[dt.date | None] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    organisation: Mapped[PeerOrganisation] = relationship(back_populates="volunteers")


class Association(Timestamped, Located, Sourced, Base):
    """A community association that can offer volunteering: trust, club, charity, business."""

    __tablename__ = "associations"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_associations_source"),
        CheckConstraint(_in("status", ORG_STATUSES), name="ck_associations_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(60), default="other")
    description: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(500))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    charity_number: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default="approved")
    opening_times: Mapped[str | None] = mapped_column(Text)
    """Opening times as the source gave them."""
    schedule: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)
    """What could be read from them: ``[{"weekdays", "start", "end"}]`` (see migration 0006)."""
    geom: Mapped[Any] = _geom_column()

    opportunities: Mapped[list[Opportunity]] = relationship(back_populates="association")


class MutualInterestLink(Timestamped, Base):
    """A win/win relationship between a peer organisation and an association."""

    __tablename__ = "mutual_interest_links"
    __table_args__ = (
        UniqueConstraint("organisation_id", "association_id", name="uq_mutual_interest_links"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("peer_organisations.id"))
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"))
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Opportunity(Timestamped, Located, Sourced, Base):
    """A need an association lists: what, where, when, what a peer can learn."""

    __tablename__ = "opportunities"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_opportunities_source"),
        CheckConstraint(_in("status", OPPORTUNITY_STATUSES), name="ck_opportunities_status"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="ck_opportunities_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    interests: Mapped[list[str]] = mapped_column(default=list)
    """Slugs of the interest taxonomy."""
    skills: Mapped[list[str]] = mapped_column(default=list)
    """Skills a peer can learn, in plain words."""
    weekdays: Mapped[list[int]] = mapped_column(default=list)
    start_time: Mapped[dt.time | None] = mapped_column(Time)
    end_time: Mapped[dt.time | None] = mapped_column(Time)
    flexible: Mapped[bool] = mapped_column(Boolean, default=False)
    commitment: Mapped[str | None] = mapped_column(String(200))
    accessibility: Mapped[list[str]] = mapped_column(default=list)
    capacity: Mapped[int | None] = mapped_column(Integer)
    places_taken: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    geom: Mapped[Any] = _geom_column()

    association: Mapped[Association] = relationship(back_populates="opportunities")


class Interest(Base):
    """A term of the fixed interest taxonomy, with its UK Volunteering Data Standard URIs."""

    __tablename__ = "interests"

    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(Text)
    synonyms: Mapped[list[str]] = mapped_column(default=list)
    vds_causes: Mapped[list[str]] = mapped_column(default=list)
    vds_skills: Mapped[list[str]] = mapped_column(default=list)


class User(Timestamped, Base):
    """A staff account (peers have none): admin, hotspot lead or association."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="ck_users_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("peer_organisations.id"))
    association_id: Mapped[int | None] = mapped_column(ForeignKey("associations.id"))
    api_token_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Bumped on sign-out and password change: every session made before is refused."""
    email_verified: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    """False for a self-registered account until it follows its verification email."""


class AccountToken(Base):
    """A single-use, expiring token sent by email (verify an address, reset a password).

    Only the SHA-256 digest of the token is stored; ``used_at`` is set when it is spent.
    """

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint(_in("purpose", TOKEN_PURPOSES), name="ck_account_tokens_purpose"),
        UniqueConstraint("token_hash", name="uq_account_tokens_token_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AssociationReview(Base):
    """An admin's decision on an association (approved or rejected) and the emailed reason."""

    __tablename__ = "association_reviews"
    __table_args__ = (
        CheckConstraint(_in("decision", REVIEW_DECISIONS),
                        name="ck_association_reviews_decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)


class ExpressedInterest(Base):
    """A peer's "I'm interested" in a need: how to reach them, and what became of it.

    Nothing else about the peer is kept. ``contact`` (an email or phone number) is wiped when
    the partner handles the interest or when it is older than the retention period; with
    ``contact_method`` ``meeting`` it is never set (only the meeting's organisation is told).
    """

    __tablename__ = "expressed_interests"
    __table_args__ = (
        CheckConstraint(_in("status", INTEREST_STATUSES), name="ck_expressed_interests_status"),
        CheckConstraint(_in("contact_method", CONTACT_METHODS),
                        name="ck_expressed_interests_method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"), index=True)
    contact_method: Mapped[str] = mapped_column(String(16))
    contact: Mapped[str | None] = mapped_column(String(254))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow, index=True)
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    contact_deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class OutcomeRecord(Timestamped, Base):
    """Anonymous counts of what came of a link or a need in one period (see domain.outcomes).

    ``association_id`` is always set; ``organisation_id`` is the peer organisation whose
    peers these are (``None``: not known); ``opportunity_id`` the need, or ``None`` for the
    link between the two as a whole. Nothing here names or describes a peer. Rows that the
    partner's inbox keeps (``recorded_by`` ``inbox``) are counters keyed by ``source_id``
    (need, organisation, month); demo rows carry ``source`` ``demo``.
    """

    __tablename__ = "outcome_records"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_outcome_records_source"),
        CheckConstraint(_in("recorded_by", RECORDED_BY), name="ck_outcome_records_recorded_by"),
        CheckConstraint(_in("period_unit", PERIOD_UNITS), name="ck_outcome_records_unit"),
        CheckConstraint("peers_taking_part >= 0 AND hours >= 0 AND went_on_to_volunteer >= 0 "
                        "AND became_licensed >= 0", name="ck_outcome_records_figures"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("peer_organisations.id"),
                                                        index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"),
                                                       index=True)
    recorded_by: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The staff account that recorded it (never a peer)."""
    period_start: Mapped[dt.date] = mapped_column(Date, index=True)
    period_unit: Mapped[str] = mapped_column(String(8), default="month")
    peers_taking_part: Mapped[int] = mapped_column(Integer, default=0)
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    went_on_to_volunteer: Mapped[int] = mapped_column(Integer, default=0)
    became_licensed: Mapped[int] = mapped_column(Integer, default=0)
    skills: Mapped[list[str]] = mapped_column(default=list)
    """Slugs of :data:`matching.skills.SKILLS`."""
    source: Mapped[str] = mapped_column(String(200), default="manual")
    source_id: Mapped[str | None] = mapped_column(String(200))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class IngestRun(Base):
    """One run of an ingest: what came in, what happened to each row."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(String(500))
    file_hash: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(default=list)


class DataVersion(Base):
    """A change counter per table, bumped by database triggers on every write (see 0002)."""

    __tablename__ = "data_versions"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    """UTC time of the last write, set by the same triggers (see migration 0006)."""


class PostcodeRow(Base):
    """A full postcode (``kind="postcode"``) or district centroid (``kind="district"``)."""

    __tablename__ = "postcodes"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200))


#: Tables that carry a position, by the name the spatial queries use.
LOCATED_MODELS: dict[str, type[Base]] = {
    "organisations": PeerOrganisation,
    "meetings": Meeting,
    "associations": Association,
    "opportunities": Opportunity,
}

__all__ = [
    "ATTENDANCE",
    "LOCATED_MODELS",
    "OPPORTUNITY_STATUSES",
    "ORG_STATUSES",
    "PRECISIONS",
    "ROLES",
    "Association",
    "Base",
    "DataVersion",
    "IngestRun",
    "Interest",
    "Meeting",
    "MutualInterestLink",
    "Opportunity",
    "OutcomeRecord",
    "PeerOrganisation",
    "PostcodeRow",
    "Region",
    "User",
    "Volunteer",
    "func",
]
