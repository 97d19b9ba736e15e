"""`resume-card-changes` (also `resume-messages`): finish the messages and the program-wide card
changes (`card_sweeps`) whose batches stopped halfway (a process that died)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.loyalty.segments import resume_messages
from app.wallet.sweeps import resume_card_sweeps


def _resume(program_id: int | None) -> None:
    for sent in resume_messages(program_id):
        click.echo(f"message={sent.message_id} status={sent.status} recipients={sent.recipients} cards={sent.cards}")
    for swept in resume_card_sweeps(program_id):
        click.echo(f"sweep={swept.sweep_id} program={swept.program_id} reason={swept.reason} "
                   f"status={swept.status} cards={swept.cards}")


@click.command("resume-messages")
@click.option("--program", "program_id", type=int, default=None, help="only this program's messages and changes")
@with_appcontext
def resume_messages_command(program_id: int | None) -> None:
    """Change the cards a message (or a program-wide change) had not reached yet, from where its record stopped."""
    _resume(program_id)


@click.command("resume-card-changes")
@click.option("--program", "program_id", type=int, default=None, help="only this program's messages and changes")
@with_appcontext
def resume_card_changes_command(program_id: int | None) -> None:
    """Finish the messages and program-wide card changes that stopped halfway (the same as resume-messages)."""
    _resume(program_id)


COMMANDS = (resume_messages_command, resume_card_changes_command)
