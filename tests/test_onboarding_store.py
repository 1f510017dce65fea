"""Onboarding in the store, on both backends: registration, tokens, profile, decisions."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from store.associations import AssociationError
from store.associations import account_emails
from store.associations import create_association
from store.associations import get_association
from store.associations import nearby_associations
from store.associations import register_association
from store.associations import review_association
from store.associations import update_association
from store.tokens import TokenError
from store.tokens import add_token
from store.tokens import check_token
from store.tokens import reset_password
from store.tokens import verify_email
from store.users import UserExistsError
from store.users import find_user_by_email

WIGAN = {"name": "Wigan Canal Friends", "category": "waterway_trust", "lat": 53.545,
         "lon": -2.632, "contact_email": "hello@canal.example", "postcode": "WN1 1AA"}
HASH = "scrypt:fake-hash-for-tests"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_registration_makes_a_pending_association_and_an_unverified_account(store) -> None:
    done = register_association(store, WIGAN, email="Lead@Canal.example", password_hash=HASH)
    assoc = get_association(store, done["association_id"])
    assert assoc["status"] == "pending"
    assert assoc["source"] == "registration"
    assert assoc["accounts"] == [{"id": done["user_id"], "email": "lead@canal.example",
                                  "email_verified": False, "active": True}]
    user = find_user_by_email(store, "lead@canal.example")
    assert user.role == "association"
    assert not user.email_verified
    with pytest.raises(UserExistsError):
        register_association(store, {**WIGAN, "name": "Another"}, email="lead@canal.example",
                             password_hash=HASH)
    assert len(nearby_associations(store, (53.545, -2.632), 1.0)) == 1  # nothing more stored


def test_registration_names_every_problem_in_the_words_of_ingest(store) -> None:
    with pytest.raises(AssociationError) as info:
        register_association(store, {"name": "", "category": "wizards", "lat": 48.85,
                                     "lon": 2.35, "contact_email": "nope",
                                     "website": "ftp://x"}, email="a@b.example",
                             password_hash=HASH)
    problems = info.value.problems
    assert set(problems) >= {"name", "category", "contact_email", "website", "lat,lon"}
    assert "outside the service area" in problems["lat,lon"]
    assert "is not an email address" in problems["contact_email"]
    with pytest.raises(AssociationError, match="Location is missing"):
        create_association(store, {"name": "X", "category": "other"})
    assert find_user_by_email(store, "a@b.example") is None


def test_tokens_are_single_use_and_expire(store) -> None:
    done = register_association(store, WIGAN, email="lead@canal.example", password_hash=HASH)
    uid = done["user_id"]
    hour = dt.timedelta(hours=1)
    add_token(store, uid, "verify_email", digest("v1"), expires_at=_now() + hour)
    add_token(store, uid, "verify_email", digest("old"), expires_at=_now() - hour)
    with pytest.raises(TokenError) as info:
        check_token(store, digest("old"), "verify_email")
    assert info.value.reason == "expired"
    with pytest.raises(TokenError) as info:
        check_token(store, digest("v1"), "reset_password")  # another purpose
    assert info.value.reason == "unknown"
    assert verify_email(store, digest("v1")) == uid
    assert find_user_by_email(store, "lead@canal.example").email_verified
    with pytest.raises(TokenError) as info:
        verify_email(store, digest("v1"))
    assert info.value.reason == "used"


def test_a_reset_sets_the_password_ends_sessions_and_voids_other_links(store) -> None:
    done = register_association(store, WIGAN, email="lead@canal.example", password_hash=HASH)
    uid = done["user_id"]
    later = _now() + dt.timedelta(hours=1)
    add_token(store, uid, "reset_password", digest("r1"), expires_at=later)
    add_token(store, uid, "reset_password", digest("r2"), expires_at=later)
    before = find_user_by_email(store, "lead@canal.example").session_version
    reset_password(store, digest("r1"), "scrypt:new")
    user = find_user_by_email(store, "lead@canal.example")
    assert user.password_hash == "scrypt:new"
    assert user.session_version == before + 1
    for token in ("r1", "r2"):
        with pytest.raises(TokenError) as info:
            reset_password(store, digest(token), "scrypt:other")
        assert info.value.reason == "used"
    assert stored_hashes_only(store, ["r1", "r2"])


def stored_hashes_only(store, tokens) -> bool:
    from sqlalchemy import text

    with store.engine.connect() as conn:
        rows = [r[0] for r in conn.execute(text("SELECT token_hash FROM account_tokens"))]
    return all(t not in rows for t in tokens) and all(len(r) == 64 for r in rows)


def test_profile_updates_report_what_changed(store) -> None:
    made = create_association(store, WIGAN)
    saved, changed = update_association(store, made["id"], {
        "description": "We look after the towpath", "website": "https://canal.example/",
        "name": WIGAN["name"]})
    assert changed == ["description", "website"]
    assert saved["website"] == "https://canal.example/"
    with pytest.raises(AssociationError) as info:
        update_association(store, made["id"], {"contact_phone": "call us", "lat": "x",
                                               "lon": "-2.6"})
    assert "is not a phone number" in info.value.problems["contact_phone"]
    assert "lat" in info.value.problems


def test_decisions_are_kept_with_their_reason(store) -> None:
    done = register_association(store, WIGAN, email="lead@canal.example", password_hash=HASH)
    aid = done["association_id"]
    with pytest.raises(AssociationError, match="Reason is missing"):
        review_association(store, aid, "rejected", reason="  ")
    rejected = review_association(store, aid, "rejected", reason="Not near a meeting")
    assert rejected["status"] == "suspended"
    assert rejected["emails"] == ["lead@canal.example"]
    approved = review_association(store, aid, "approved")
    assert (approved["was"], approved["status"]) == ("suspended", "approved")
    reviews = get_association(store, aid)["reviews"]
    assert [r["decision"] for r in reviews] == ["approved", "rejected"]
    assert reviews[1]["reason"] == "Not near a meeting"
    assert account_emails(store, aid) == ["lead@canal.example"]


def test_nearby_associations_use_the_radius_query(store) -> None:
    first = create_association(store, WIGAN)
    near = create_association(store, {**WIGAN, "name": "Wigan Canal Friends Group",
                                      "lat": 53.55, "lon": -2.64})
    create_association(store, {**WIGAN, "name": "Far Away", "lat": 51.5, "lon": -0.12})
    found = nearby_associations(store, (first["lat"], first["lon"]), 3.0,
                                exclude_id=first["id"])
    assert [r["id"] for r in found] == [near["id"]]
    assert 0.5 < found[0]["distance_km"] < 1.0


def test_migration_0008_keeps_existing_accounts_verified_and_goes_back(store) -> None:
    from alembic import command
    from sqlalchemy import text

    from store.migrate import alembic_config
    from store.migrate import current_revision
    from store.migrate import upgrade
    from store.users import create_user

    create_user(store, email="old@cg.example", password_hash=HASH, role="admin")
    command.downgrade(alembic_config(store.engine), "0007")
    assert current_revision(store.engine) == "0007"
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE users SET session_version = 3"))  # a 0007 column still there
    command.upgrade(alembic_config(store.engine), "0008")
    assert current_revision(store.engine) == "0008"
    upgrade(store.engine)  # and on to the head
    user = find_user_by_email(store, "old@cg.example")
    assert user.email_verified
    assert user.session_version == 3
