"""`resume-messages`: finish the messages whose batches stopped halfway (a process that died)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.loyalty.segments import resume_messages


@click.command("resume-messages")
@click.option("--program", "program_id", type=int, default=None, help="only this program's messages")
@with_appcontext
def resume_messages_command(program_id: int | None) -> None:
    """Change the cards a message had not reached yet, from where its record says it stopped."""
    for sent in resume_messages(program_id):
        click.echo(f"message={sent.message_id} status={sent.status} recipients={sent.recipients} cards={sent.cards}")


COMMANDS = (resume_messages_command,)
