"""`flask --app wsgi …` commands. A failure prints one line and exits non-zero."""
from __future__ import annotations

import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from app.extensions import db
from app.loyalty.days import checked_zone
from app.loyalty.errors import LoyaltyError
from app.migrate import upgrade
from app.models import Merchant, StaffUser
from app.security import ROLES, hash_password, issue_api_key

MIN_PASSWORD = 10


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Migrate the database to the newest revision (safe to run again)."""
    upgrade(current_app)
    click.echo("database is at the newest revision")


def create_merchant(name: str, email: str, password: str, role: str = "owner", timezone: str | None = None) -> Merchant:
    email = email.strip().lower()
    if not name.strip():
        raise click.ClickException("NAME must not be empty")
    if "@" not in email:
        raise click.ClickException(f"--email {email!r} is not an e-mail address")
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"--password must be at least {MIN_PASSWORD} characters")
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise click.ClickException(f"a login with e-mail {email} already exists")
    try:
        zone = checked_zone(timezone) if timezone else None
    except ValueError as exc:
        raise click.ClickException(f"--timezone {exc}") from None
    merchant = Merchant(name=name.strip(), timezone=zone)
    merchant.staff.append(StaffUser(email=email, password_hash=hash_password(password), role=role))
    db.session.add(merchant)
    db.session.flush()
    return merchant


@click.command("create-merchant")
@click.argument("name")
@click.option("--email", required=True, help="the owner's login e-mail")
@click.option("--password", required=True, help=f"the owner's password (at least {MIN_PASSWORD} characters)")
@click.option("--timezone", default=None, help="the shop's IANA time zone, e.g. Europe/Lisbon (default: TIMEZONE's)")
@with_appcontext
def create_merchant_command(name: str, email: str, password: str, timezone: str | None) -> None:
    """Create a merchant with one owner login; prints the merchant id."""
    merchant = create_merchant(name, email, password, timezone=timezone)
    db.session.commit()
    click.echo(merchant.id)


@click.command("create-api-key")
@click.option("--email", required=True, help="a login of the merchant the key is for")
@click.option("--role", type=click.Choice(ROLES), default="owner", show_default=True)
@click.option("--label", default="", help="a name to recognise the key by")
@with_appcontext
def create_api_key_command(email: str, role: str, label: str) -> None:
    """Create an API key; it is printed once, alone on the last line, and never stored."""
    staff = db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower()))
    if staff is None:
        raise click.ClickException(f"no login with e-mail {email.strip()}")
    key = issue_api_key(staff.merchant_id, role, label or f"{role} key")
    db.session.commit()
    click.echo(f"{role} key for merchant {staff.merchant_id}; store it now, it is not shown again:")
    click.echo(key.plaintext)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Seed the demo merchant, program and member into an empty database; print the login."""
    from app.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo

    try:
        seeded = seed_demo()
    except LoyaltyError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo("demo shop seeded" if seeded else "the database already has data; nothing seeded")
    click.echo(f"dashboard: {current_app.config['PUBLIC_URL']}/dashboard/")
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == DEMO_EMAIL)) is not None:
        click.echo(f"demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")


@click.command("push-worker")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 5000))
@with_appcontext
def push_worker_command(batch_size: int) -> None:
    """Deliver queued pushes until stopped; SIGTERM or Ctrl-C finish the batch in hand and exit."""
    from app.wallet.worker import PushWorker

    worker = PushWorker(current_app._get_current_object(), batch_size=batch_size)  # type: ignore[attr-defined]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"push worker {worker.name} started", err=True)
    worker.run(stop)
    click.echo(f"push worker {worker.name} stopped after {worker.sent} pushes", err=True)


def init_app(app: Flask) -> None:
    # Imported here: these modules pull in the whole loyalty engine, which imports this module.
    from app.loyalty.members_csv_cli import COMMANDS as CSV_COMMANDS
    from app.loyalty.messages_cli import COMMANDS as MESSAGE_COMMANDS
    from app.loyalty.schedules_cli import run_schedules_command

    for command in (init_db_command, create_merchant_command, create_api_key_command, seed_demo_command,
                    push_worker_command, run_schedules_command, *CSV_COMMANDS, *MESSAGE_COMMANDS):
        app.cli.add_command(command)
