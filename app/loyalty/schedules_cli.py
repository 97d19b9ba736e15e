"""`flask --app wsgi run-schedules`: the daily jobs, for cron."""
from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from app.loyalty.schedules import JOBS, run_schedules


def parse_now(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise click.ClickException(f"--now {raw!r} must be an ISO 8601 date and time with an offset, "
                                   "such as 2026-03-01T06:00:00+01:00")
    return moment


def parse_only(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return JOBS
    if raw not in JOBS:
        raise click.ClickException(f"--only {raw!r} must be one of {', '.join(JOBS)}")
    return (raw,)


@click.command("run-schedules")
@click.option("--now", "now_text", metavar="ISO", help="act as of this moment (ISO 8601 with an offset); default now")
@click.option("--only", "only_text", metavar="JOB", help=f"run one job: {' | '.join(JOBS)}")
@with_appcontext
def run_schedules_command(now_text: str | None, only_text: str | None) -> None:
    """Give birthday bonuses, expire points and warn before they go, move tiers down, expire
    reward codes past their date and take them off the cards.

    Idempotent and safe on several machines at once: run it from cron as often as you like.
    Prints one line per job."""
    now, only = parse_now(now_text), parse_only(only_text)
    for result in run_schedules(now, only):
        click.echo(result.summary())
