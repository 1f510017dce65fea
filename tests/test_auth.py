"""Staff sign-in: password hashing, login/logout, sessions, cookie flags, demo accounts, CLI."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pytest
from click.testing import CliRunner

import service.cli as cli_module
from service import create_app
from service import get_store
from service.api import partner as api_partner
from service.cli import staff as staff_cli
from service.usecases.accounts import DEMO_ACCOUNTS
from service.usecases.accounts import create_demo_users
from service.usecases.accounts import hash_password
from service.usecases.accounts import user_for_token
from service.usecases.accounts import verify_password
from service.web.auth import role_required
from service.web.auth import safe_next
from store import Store
from store import models
from store.users import create_user
from store.users import find_user_by_email
from store.users import set_password_hash
from store.users import set_user_active

if TYPE_CHECKING:
    from flask import Flask

PASSWORD = "correct horse battery"


def add_association(store: Store, name: str = "Canal Trust", *, status: str = "approved",
                    is_demo: bool = False) -> int:
    with store.session() as s:
        a = models.Association(name=name, category="charity", status=status, lat=53.48,
                               lon=-2.24, postcode="M1 1AA", is_demo=is_demo)
        s.add(a)
        s.flush()
        return a.id


def add_org(store: Store, name: str = "Peer Org", *, is_demo: bool = False) -> int:
    with store.session() as s:
        o = models.PeerOrganisation(name=name, status="approved", is_hotspot=True, lat=53.5,
                                    lon=-2.2, is_demo=is_demo)
        s.add(o)
        s.flush()
        return o.id


def add_user(store: Store, role: str, email: str, **links: int):
    return create_user(store, email=email, password_hash=hash_password(PASSWORD), role=role,
                       **links)


def login(client, email: str, password: str = PASSWORD, **extra: str):
    return client.post("/login", data={"email": email, "password": password, **extra})


@pytest.fixture
def partner(sqlite_store: Store):
    aid = add_association(sqlite_store)
    return add_user(sqlite_store, "association", "coord@canal.example", association_id=aid)


# ------------------------------------------------------------------------------ passwords


def test_passwords_are_salted_scrypt_hashes() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second
    assert first.startswith("scrypt:")
    assert PASSWORD not in first
    assert verify_password(first, PASSWORD)
    assert not verify_password(first, PASSWORD + "!")
    assert not verify_password(None, PASSWORD)
    assert not verify_password(first, "")


@pytest.mark.parametrize("password", ["Zq9!", "         Zq", " " * 12, "Zq" * 1000])
def test_weak_or_absurd_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValueError, match="password") as info:
        hash_password(password)
    assert password.strip() not in str(info.value) or not password.strip()


def test_role_required_names_unknown_roles() -> None:
    with pytest.raises(ValueError, match=r"'superuser'.*admin, hotspot_lead, association"):
        role_required("superuser")


@pytest.mark.parametrize(("target", "safe"), [
    ("/partner/", True), ("/admin/associations?status=pending", True),
    ("//evil.example/", False), ("https://evil.example/", False), ("/\\evil.example", False),
    ("javascript:alert(1)", False), ("/x\r\nSet-Cookie: a=b", False), ("", False),
])
def test_safe_next(target: str, safe: bool) -> None:
    assert (safe_next(target) == target) is safe


# ------------------------------------------------------------------------------ sessions


def test_login_logout_round_trip(client, partner) -> None:
    first = client.get("/partner/")
    assert first.status_code == 302
    assert first.location.startswith("/login?next=/partner/")

    wrong = login(client, partner.email, "not the password")
    assert wrong.status_code == 401
    assert "do not match an active account" in wrong.text

    ok = login(client, "  COORD@Canal.Example ", next="/partner/?status=open")
    assert ok.status_code == 302
    assert ok.location == "/partner/?status=open"
    page = client.get("/partner/")
    assert page.status_code == 200
    assert "Canal Trust" in page.text
    assert "Sign out" in page.text

    assert client.get("/login").location == "/partner/"  # already signed in
    out = client.post("/logout")
    assert out.status_code == 302
    assert client.get("/partner/").status_code == 302
    assert "Staff sign in" in client.get("/").text


def test_each_role_lands_on_its_own_page(client, sqlite_store, partner) -> None:
    add_user(sqlite_store, "admin", "boss@cg.example")
    add_user(sqlite_store, "hotspot_lead", "lead@cg.example",
             organisation_id=add_org(sqlite_store))
    assert login(client, "boss@cg.example").location == "/admin/"
    client.post("/logout")
    assert login(client, partner.email).location == "/partner/"
    client.post("/logout")
    lead = login(client, "lead@cg.example").location
    assert lead.startswith("/hotspots") or lead == "/"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_login_never_redirects_off_site(client, partner, target: str) -> None:
    response = login(client, partner.email, next=target)
    assert response.status_code == 302
    assert response.location == "/partner/"


def test_unknown_email_and_wrong_password_get_the_same_answer(client, partner) -> None:
    unknown = login(client, "nobody@nowhere.example")
    wrong = login(client, partner.email, "wrong password!")
    assert unknown.status_code == wrong.status_code == 401
    def page(response, email: str) -> str:
        text = response.text.replace(email, "E")
        return re.sub(r'name="csrf_token" value="[^"]*"', "", text)

    assert page(unknown, "nobody@nowhere.example") == page(wrong, partner.email)


def test_suspending_a_user_ends_the_session_and_refuses_sign_in(client, sqlite_store,
                                                                partner) -> None:
    assert login(client, partner.email).status_code == 302
    assert client.get("/partner/").status_code == 200
    set_user_active(sqlite_store, partner.id, active=False)
    assert client.get("/partner/").status_code == 302
    assert login(client, partner.email).status_code == 401


def test_a_new_password_ends_old_sessions(app, sqlite_store, partner) -> None:
    old, other = app.test_client(), app.test_client()
    assert login(old, partner.email).status_code == 302
    set_password_hash(sqlite_store, partner.id, hash_password("a brand new password"))
    assert old.get("/partner/").status_code == 302
    assert login(other, partner.email, "a brand new password").status_code == 302
    assert other.get("/partner/").status_code == 200


# --------------------------------------------------------------------------- cookie flags


def _app(store: Store, tmp_path: Path, **config) -> Flask:
    return create_app({"DATABASE_URL": store.url, "SECRET_KEY": "test",
                       "INSTANCE_PATH": str(tmp_path), **config})


def _session_cookie(app: Flask, email: str) -> str:
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 302, response.text
    return ";".join(response.headers.getlist("Set-Cookie"))


def test_session_cookie_is_secure_httponly_lax_outside_tests(sqlite_store, partner,
                                                             tmp_path) -> None:
    app = _app(sqlite_store, tmp_path, WTF_CSRF_ENABLED=False)
    assert not app.testing
    cookie = _session_cookie(app, partner.email)
    assert "session=" in cookie
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # a staff session lasts a working day, not 31 days
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600
    get_store(app).dispose()


def test_peers_get_no_cookie(client) -> None:
    """Browsing needs no account, and the staff links in the header set nothing."""
    page = client.get("/")
    assert page.status_code == 200
    assert "Staff sign in" in page.text
    assert "Set-Cookie" not in page.headers


@pytest.mark.parametrize(("config", "secure"), [
    ({"TESTING": True}, False),
    ({"SECURE_COOKIES": "0"}, False),
    ({"TESTING": True, "SECURE_COOKIES": "1"}, True),
])
def test_secure_flag_is_configurable(sqlite_store, partner, tmp_path, config,
                                     secure: bool) -> None:
    app = _app(sqlite_store, tmp_path, WTF_CSRF_ENABLED=False, **config)
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert ("Secure" in _session_cookie(app, partner.email)) is secure
    get_store(app).dispose()


def test_secure_cookies_setting_comes_from_the_environment(sqlite_store, tmp_path,
                                                           monkeypatch) -> None:
    monkeypatch.setenv("COMMONGROUND_SECURE_COOKIES", "0")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    app = _app(sqlite_store, tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    get_store(app).dispose()
    monkeypatch.setenv("COMMONGROUND_SECURE_COOKIES", "maybe")
    with pytest.raises(ValueError, match=r"COMMONGROUND_SECURE_COOKIES='maybe'.*auto, 1 or 0"):
        _app(sqlite_store, tmp_path)


# -------------------------------------------------------------------------- demo accounts


@pytest.fixture
def demo_copy(demo_stores, tmp_path) -> Store:
    """A private, writable copy of the session's SQLite demo store."""
    source = demo_stores["sqlite"].url.removeprefix("sqlite:///")
    target = tmp_path / "demo-copy.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    store = Store(f"sqlite:///{target}")
    yield store
    store.dispose()


def test_demo_users_are_idempotent_and_can_sign_in(demo_copy, tmp_path) -> None:
    first = create_demo_users(demo_copy)
    assert [d["role"] for d in first] == ["admin", "hotspot_lead", "association"]
    assert {d["outcome"] for d in first} == {"inserted"}
    assert first[1]["linked_to"]
    assert first[2]["linked_to"]
    again = create_demo_users(demo_copy)
    assert {d["outcome"] for d in again} == {"unchanged"}

    partner = find_user_by_email(demo_copy, DEMO_ACCOUNTS[2]["email"])
    set_password_hash(demo_copy, partner.id, hash_password("someone changed it"))
    third = create_demo_users(demo_copy)
    assert [d["outcome"] for d in third] == ["unchanged", "unchanged", "updated"]

    app = _app(demo_copy, tmp_path, TESTING=True)
    client = app.test_client()
    page = client.get("/login")
    assert "Demo accounts" in page.text
    for account in DEMO_ACCOUNTS:
        assert account["email"] in page.text
        assert account["password"] in page.text
        response = login(client, account["email"], account["password"])
        assert response.status_code == 302, account
        client.post("/logout")
    get_store(app).dispose()


def test_demo_users_need_demo_data(sqlite_store) -> None:
    with pytest.raises(ValueError, match="commonground demo"):
        create_demo_users(sqlite_store)


def test_sign_in_page_lists_demo_accounts_only_with_demo_data(client, sqlite_store) -> None:
    assert "Demo accounts" not in client.get("/login").text
    # A demo-flagged account alone (no demo data in the store) is not advertised ...
    aid = add_association(sqlite_store, "Real Trust")
    create_user(sqlite_store, email=DEMO_ACCOUNTS[2]["email"],
                password_hash=hash_password(DEMO_ACCOUNTS[2]["password"]), role="association",
                association_id=aid, is_demo=True)
    assert "Demo accounts" not in client.get("/login").text
    # ... but once the store holds demo records, the stored demo accounts are listed.
    add_association(sqlite_store, "Demo Trust", is_demo=True)
    page = client.get("/login").text
    assert "Demo accounts" in page
    assert DEMO_ACCOUNTS[2]["email"] in page
    assert DEMO_ACCOUNTS[0]["email"] not in page  # not stored, so not listed


# ---------------------------------------------------------------------------------- CLI


@pytest.fixture
def cli() -> click.Group:
    """``commonground`` with the staff commands (registered here until the lead wires them)."""
    if "create-user" in cli_module.main.commands:
        return cli_module.main

    @click.group()
    @click.option("--database-url", default=None)
    @click.pass_context
    def group(ctx: click.Context, database_url: str | None) -> None:
        ctx.ensure_object(dict)["database_url"] = database_url

    staff_cli.register(group, cli_module._Context)
    return group


def test_create_user_from_stdin_then_sign_in(cli, sqlite_store, client) -> None:
    aid = add_association(sqlite_store)
    result = CliRunner().invoke(cli, [
        "--database-url", sqlite_store.url, "create-user", "--email", "Lead@Canal.example",
        "--role", "association", "--association-id", str(aid), "--password-stdin", "--json",
    ], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert '"email": "lead@canal.example"' in result.output
    assert login(client, "lead@canal.example").status_code == 302


def test_create_user_prompts_with_hidden_input(cli, sqlite_store) -> None:
    result = CliRunner().invoke(cli, [
        "--database-url", sqlite_store.url, "create-user", "--email", "root@cg.example",
        "--role", "admin"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "created admin user root@cg.example" in result.output
    assert find_user_by_email(sqlite_store, "root@cg.example").role == "admin"


@pytest.mark.parametrize(("args", "stdin", "code", "message"), [
    (["--role", "admin"], "short\n", 1, "at least 10 characters"),
    (["--role", "association"], PASSWORD + "\n", 1, "needs association_id"),
    (["--role", "hotspot_lead", "--organisation-id", "999"], PASSWORD + "\n", 1,
     "organisation_id=999 is not a peer organisation"),
    (["--role", "wizard"], PASSWORD + "\n", 2, "wizard"),
])
def test_create_user_failures_say_why(  # noqa: PLR0917 - parametrized
    cli, sqlite_store, args, stdin, code, message,
) -> None:
    result = CliRunner().invoke(cli, [
        "--database-url", sqlite_store.url, "create-user", "--email", "x@cg.example",
        "--password-stdin", *args], input=stdin)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert find_user_by_email(sqlite_store, "x@cg.example") is None


def test_create_user_twice_is_refused(cli, sqlite_store) -> None:
    args = ["--database-url", sqlite_store.url, "create-user", "--email", "a@cg.example",
            "--role", "admin", "--password-stdin"]
    assert CliRunner().invoke(cli, args, input=PASSWORD + "\n").exit_code == 0
    again = CliRunner().invoke(cli, args, input=PASSWORD + "\n")
    assert again.exit_code == 1
    assert "exists already" in again.output


def test_create_token_works_once_and_only_for_partners(cli, sqlite_store, tmp_path) -> None:
    aid = add_association(sqlite_store)
    add_user(sqlite_store, "association", "p@cg.example", association_id=aid)
    add_user(sqlite_store, "admin", "boss@cg.example")
    runner = CliRunner()
    base = ["--database-url", sqlite_store.url, "create-token", "--email"]
    first = runner.invoke(cli, [*base, "p@cg.example", "--json"])
    assert first.exit_code == 0, first.output
    token = json.loads(first.output)["token"]
    assert user_for_token(sqlite_store, token).email == "p@cg.example"
    stored = find_user_by_email(sqlite_store, "p@cg.example").api_token_hash
    assert token not in stored

    app = _app(sqlite_store, tmp_path, TESTING=True)
    if "api_partner" not in app.blueprints:
        app.register_blueprint(api_partner.bp)
    api = app.test_client()
    ok = api.get("/api/partner/opportunities", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200, ok.text

    second = runner.invoke(cli, [*base, "p@cg.example"])
    assert second.exit_code == 0
    assert user_for_token(sqlite_store, token) is None  # the old token is replaced
    old = api.get("/api/partner/opportunities", headers={"Authorization": f"Bearer {token}"})
    assert old.status_code == 401
    get_store(app).dispose()

    admin = runner.invoke(cli, [*base, "boss@cg.example"])
    assert admin.exit_code == 1
    assert "API tokens are for association" in admin.output
    nobody = runner.invoke(cli, [*base, "ghost@cg.example"])
    assert nobody.exit_code == 1
    assert "no user with email" in nobody.output
