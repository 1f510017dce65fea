"""``commonground create-user`` and ``create-token``.

``create-user`` bootstraps the first admin (and any staff user); the password is prompted
for with hidden input, or read from standard input with ``--password-stdin`` (for scripts).
``create-token`` makes a partner's API token and prints it once.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from domain.status import ROLES
from service.usecases.accounts import check_password_strength
from service.usecases.accounts import hash_password
from service.usecases.accounts import new_api_token
from store.users import UserError
from store.users import UserExistsError
from store.users import create_user
from store.users import find_user_by_email
from store.users import set_api_token_hash


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_password_strength(password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    return password


def register(main: click.Group, context: Any) -> None:
    """Add ``create-user`` and ``create-token`` to the ``commonground`` group."""

    @main.command("create-user")
    @click.option("--email", required=True, help="Sign-in email of the new user.")
    @click.option("--role", required=True, type=click.Choice(ROLES),
                  help="admin, hotspot_lead (needs --organisation-id) or association "
                       "(needs --association-id).")
    @click.option("--organisation-id", type=click.IntRange(min=1),
                  help="Peer organisation of a hotspot_lead.")
    @click.option("--association-id", type=click.IntRange(min=1),
                  help="Association of an association (partner) user.")
    @click.option("--password-stdin", is_flag=True,
                  help="Read the password from the first line of standard input "
                       "(default: prompt, hidden).")
    @click.option("--json", "as_json", is_flag=True, help="Print the new user as JSON.")
    @click.pass_context
    def create_user_command(
        ctx: click.Context, email: str, role: str, organisation_id: int | None,
        association_id: int | None, password_stdin: bool, as_json: bool,
    ) -> None:
        """Create a staff user (for example the first admin)."""
        store = context.store(ctx)
        password = _read_password(password_stdin)
        try:
            user = create_user(store, email=email, password_hash=hash_password(password),
                               role=role, organisation_id=organisation_id,
                               association_id=association_id)
        except (UserError, UserExistsError) as exc:
            raise click.ClickException(str(exc)) from None
        info = {"id": user.id, "email": user.email, "role": user.role,
                "organisation_id": user.organisation_id,
                "association_id": user.association_id}
        linked = user.organisation or user.association
        text = f"created {user.role} user {user.email} (id {user.id})" + (
            f", linked to {linked}" if linked else "")
        click.echo(json.dumps(info, indent=2) if as_json else text)

    @main.command("create-token")
    @click.option("--email", required=True, help="Email of an association (partner) user.")
    @click.option("--json", "as_json", is_flag=True, help="Print the token as JSON.")
    @click.pass_context
    def create_token_command(ctx: click.Context, email: str, as_json: bool) -> None:
        """Make a new API token for a partner (replaces any earlier one; shown once)."""
        store = context.store(ctx)
        user = find_user_by_email(store, email)
        if user is None:
            msg = f"no user with email {email!r}: create one with `commonground create-user`"
            raise click.ClickException(msg)
        if user.role != "association":
            msg = (f"{user.email} is a {user.role} user; API tokens are for association "
                   "(partner) users")
            raise click.ClickException(msg)
        if not user.active:
            msg = f"{user.email} is suspended: reactivate the user on /admin/users first"
            raise click.ClickException(msg)
        token, digest = new_api_token(user.id)
        set_api_token_hash(store, user.id, digest)
        if as_json:
            click.echo(json.dumps({"email": user.email, "token": token}, indent=2))
        else:
            click.echo(token)
            click.echo("Keep it secret: it is shown only this once. Send it as "
                       "'Authorization: Bearer <token>' to /api/partner/opportunities.",
                       err=True)


__all__ = ["register"]
