"""Outgoing e-mail over SMTP, configured by SMTP_* and MAIL_FROM.

Sent only after the database commit, with a short timeout: a slow or broken mail server costs
the customer a few seconds at most and never their enrolment. Failures are logged.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
import sys
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

log = logging.getLogger(__name__)
_console = threading.Lock()  # one e-mail at a time, even from the worker and several requests


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str


def masked(address: str) -> str:
    """Enough of an address to tell log lines apart without writing it down whole."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def build_message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(" >"))
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def _deliver(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


def print_to_console(mail: Mail) -> None:
    """The whole e-mail, as the recipient would read it, on the console of `make run`."""
    rule = "-" * 72
    text = (f"{rule}\nE-mail (SMTP_HOST is not set, so it is printed here instead of sent)\n"
            f"To: {mail.to}\nSubject: {mail.subject}\n\n{mail.text.rstrip()}\n{rule}\n")
    with _console:
        sys.stdout.write(text)
        sys.stdout.flush()


def send(mail: Mail) -> bool:
    """True when the server accepted the message; False (and a log line) otherwise."""
    config = current_app.config
    if not config.get("SMTP_HOST"):
        if config.get("MAIL_CONSOLE"):
            print_to_console(mail)
            return True
        log.info("SMTP_HOST is not set: no e-mail sent to %s", masked(mail.to))
        return False
    try:
        _deliver(build_message(mail, config["MAIL_FROM"]))
    except (OSError, smtplib.SMTPException) as exc:  # OSError covers refusals and time-outs
        log.warning("e-mail to %s not sent: %s: %s", masked(mail.to), type(exc).__name__, exc)
        return False
    log.info("e-mail sent to %s", masked(mail.to))
    return True


def send_in_background(mail: Mail) -> None:
    """Sends after the answer has gone: a page that may or may not send an e-mail takes the same
    time either way, so its speed does not tell a visitor whether an address is known."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def deliver() -> None:
        with app.app_context():
            send(mail)

    threading.Thread(target=deliver, name="card-mail", daemon=True).start()
