"""Signed links for password resets and invitations, and the e-mails that carry them.

A token names the login and the stamp of its password hash: once the password changes (the reset
or the invitation is used, or an invitation is sent again) every earlier link stops working."""
from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.dashboard import staff_stamp
from app.extensions import db
from app.mail import Mail, send
from app.models import StaffUser

RESET_SALT = "tessera.dashboard.password-reset"
INVITE_SALT = "tessera.dashboard.invitation"
RESET_MAX_AGE = 3600
INVITE_MAX_AGE = 7 * 24 * 3600


@dataclass(frozen=True)
class TokenProblem:
    """Why a link cannot be used, in words for the page."""

    expired: bool


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_token(staff: StaffUser, salt: str) -> str:
    return str(_serializer(salt).dumps({"s": staff.id, "p": staff_stamp(staff)}))


def load_token(token: str, salt: str, max_age: int) -> StaffUser | TokenProblem:
    """The login the link was made for, still holding the same password; else the problem."""
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        return TokenProblem(expired=True)
    except BadSignature:
        return TokenProblem(expired=False)
    if not isinstance(data, dict) or not isinstance(data.get("s"), int) or not isinstance(data.get("p"), str):
        return TokenProblem(expired=False)
    staff = db.session.get(StaffUser, data["s"])
    if staff is None or not staff.active or not hmac.compare_digest(staff_stamp(staff), data["p"]):
        return TokenProblem(expired=False)  # used already, superseded, or the login was turned off
    return staff


def _link(endpoint_path: str, token: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/dashboard/{endpoint_path}/{token}"


def _mail_locale(staff: StaffUser) -> str:
    return staff.locale or str(get_locale() or "en")


def send_reset_mail(staff: StaffUser) -> None:
    """Call after the commit: the link is only valid for the password as stored.

    The SMTP exchange runs on its own thread: the answer to "forgot my password" then takes as
    long for an unknown address as for a known one, and its timing tells nothing."""
    link = _link("reset", make_token(staff, RESET_SALT))
    with force_locale(_mail_locale(staff)):
        context = {"staff": staff, "link": link, "lang": _mail_locale(staff)}
        mail = Mail(
            to=staff.email,
            subject=_("Reset your Tessera password"),
            text=render_template("dashboard/mail/reset.txt", **context),
            html=render_template("dashboard/mail/reset.html", **context),
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def deliver() -> None:
        with app.app_context():
            send(mail)

    threading.Thread(target=deliver, name="reset-mail", daemon=True).start()


def invite_link(staff: StaffUser) -> str:
    return _link("invite", make_token(staff, INVITE_SALT))


def send_invite_mail(staff: StaffUser, inviter: StaffUser, link: str) -> bool:
    with force_locale(_mail_locale(staff)):
        context = {"staff": staff, "inviter": inviter, "shop": staff.merchant.name, "link": link,
                   "lang": _mail_locale(staff)}
        return send(Mail(
            to=staff.email,
            subject=_("%(shop)s invites you to Tessera", shop=staff.merchant.name),
            text=render_template("dashboard/mail/invite.txt", **context),
            html=render_template("dashboard/mail/invite.html", **context),
        ))
