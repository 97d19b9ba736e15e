"""`/join/<slug>`: the form, the page that follows, the shop's logo, friendly error pages."""
from __future__ import annotations

import base64
from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response
from wtforms import HiddenField

from app.dashboard.member_actions import card_mail
from app.enrollment import bp
from app.enrollment.forms import FreshLinkForm, JoinForm, LostCardForm, parse_birthday
from app.enrollment.limits import card_mail_allowed, join_rate, limiter, resend_rate
from app.enrollment.links import LinkExpired, card_from_token, card_links, card_token
from app.extensions import db
from app.loyalty.enrollment import Applicant, enroll, normalize_email
from app.loyalty.errors import InvalidValue, MemberExists
from app.mail import Mail, send, send_in_background
from app.models import Card, Location, Member, Program
from app.poster.images import PageImage, shop_icon, uploaded_logo
from passes.apple.artwork import LOGO_POINTS, default_images, initials
from passes.apple.images import png_size

FIELD_OF = {"consent.terms": "terms"}  # enroll()'s field names that differ from the form's


class LocatedJoinForm(JoinForm):
    """The join form carrying the QR location (`?at=`) through to the submission, hidden."""

    at = HiddenField()


@bp.before_request
def _fresh_locale() -> None:
    """Flask-Babel caches the locale on `g`, which outlives a request when an app context was
    already pushed (tests, scripts): each join request chooses its language anew."""
    g.program_locale = None
    refresh()


def _find_program(slug: str) -> Program | None:
    program = db.session.scalar(select(Program).where(Program.slug == slug[:64]))
    g.program_locale = program.locale if program else None
    return program


def _program(slug: str) -> Program:
    program = _find_program(slug)
    if program is None:
        abort(404)
    return program


def drawn_logo(program: Program) -> PageImage:
    """The program's default artwork, inline: one round trip fewer on a weak connection."""
    name = program.organization_name or program.name
    png = default_images(initials(name), program.background_color, program.foreground_color)["logo@2x.png"]
    width, height = png_size(png) or LOGO_POINTS
    return PageImage("data:image/png;base64," + base64.b64encode(png).decode("ascii"), width, height, drawn=True)


def page_logo(program: Program) -> PageImage:
    """The shop's uploaded logo in its own proportions, else the badge of its initials."""
    return uploaded_logo(program) or drawn_logo(program)


def _page(template: str, program: Program | None, status: int = 200, **context: Any) -> Response:
    logo = page_logo(program) if program else None
    html = render_template(template, program=program, logo=logo, icon=shop_icon(program), lang=str(get_locale()),
                           **context)
    response = Response(html, status=status, mimetype="text/html")
    response.vary.add("Accept-Language")
    return response


def valid_location(program: Program, code: str | None) -> Location | None:
    """The program's location with this code; an unknown one is ignored (the member still joins)."""
    code = (code or "").strip()[:16]
    if not code:
        return None
    location: Location | None = db.session.scalar(
        select(Location).where(Location.program_id == program.id, Location.code == code))
    return location


def valid_referral(program: Program, code: str | None) -> str | None:
    """The code when it belongs to a member of this program; anything else is dropped quietly."""
    code = (code or "").strip().upper()[:16]
    if not code:
        return None
    found = db.session.scalar(select(Member.referral_code).where(
        Member.program_id == program.id, Member.referral_code == code, Member.erased_at.is_(None)))
    return found


@bp.route("/join/<slug>", methods=["GET", "POST"])
@limiter.limit(join_rate, methods=["POST"])
def join(slug: str) -> Response:
    program = _program(slug)
    form = LocatedJoinForm()
    if request.method == "GET":
        form.ref.data = valid_referral(program, request.args.get("ref"))
        location = valid_location(program, request.args.get("at"))
        form.at.data = location.code if location else None
    elif form.validate_on_submit():
        applicant = _applicant(program, form)
        card = _enroll(program, form, applicant)
        if card is not None:
            _send_card_mail(program, card)
            return redirect(url_for(".joined", slug=program.slug, token=card_token(card)), 303)
        if not form.errors:  # the address already has a card: it goes there, never on this page
            return _mail_card_to(program, applicant.email)
    return _page("enrollment/join.html", program, 422 if form.errors else 200, form=form)


def _applicant(program: Program, form: LocatedJoinForm) -> Applicant:
    location = valid_location(program, form.at.data)
    return Applicant(
        name=form.name.data or "",
        email=form.email.data or "",
        phone=(form.phone.data or "").strip() or None,
        birthday=parse_birthday(form.birthday.data) if form.birthday.data else None,
        terms=bool(form.terms.data),
        marketing=bool(form.marketing.data),
        referral_code=valid_referral(program, form.ref.data),
        source="join",
        location_id=location.id if location else None,
    )


def _enroll(program: Program, form: LocatedJoinForm, applicant: Applicant) -> Card | None:
    """The new member's card; None when the address already has one (never a second card) or when
    a rule the form's own checks did not anticipate refused the value (then the field says so)."""
    try:
        member = enroll(program, applicant)
        db.session.commit()
    except MemberExists:
        db.session.rollback()
        return None
    except InvalidValue as exc:
        db.session.rollback()
        field = getattr(form, FIELD_OF.get(exc.field or "", exc.field or ""), form.name)
        field.errors = [*field.errors, _("Check this value.")]
        return None
    return member.card


def _card_of(program: Program, email: str) -> Card | None:
    """The live card the address holds in this program, if any."""
    member = db.session.scalar(select(Member).where(
        Member.program_id == program.id, Member.email == normalize_email(email), Member.erased_at.is_(None)))
    if member is None or member.card is None or member.card.voided:
        return None
    return member.card


def _mail_card_to(program: Program, email: str) -> Response:
    """The card of this address, if it has one, goes to the address; the page says the same words
    either way and answers as fast (the e-mail leaves after the answer)."""
    card = _card_of(program, email)
    if card is not None and card_mail_allowed(card.id):
        send_in_background(card_mail(card.member))
    db.session.commit()  # nothing changed; ends the transaction before the mail thread reads
    response = _page("enrollment/sent.html", program, email=normalize_email(email))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _send_card_mail(program: Program, card: Card) -> None:
    links = card_links(card)
    context = {"program": program, "links": links, "lang": str(get_locale())}
    send(Mail(
        to=card.member.email,
        subject=_("Your %(shop)s card", shop=program.organization_name or program.name),
        text=render_template("enrollment/email.txt", **context),
        html=render_template("enrollment/email.html", **context),
    ))


@bp.route("/join/<slug>/lost", methods=["GET", "POST"])
@limiter.limit(resend_rate, methods=["POST"])
def lost_card(slug: str) -> Response:
    """"Lost your card?": the card link goes to the address it was issued to, if there is one."""
    program = _program(slug)
    form = LostCardForm()
    if form.validate_on_submit():
        return _mail_card_to(program, form.email.data or "")
    return _page("enrollment/lost.html", program, 422 if form.errors else 200, form=form)


def expired_save_link(card: Card, token: str) -> Response:
    """The page an expired Google Wallet link opens: a button that e-mails a fresh one to the
    card's own address (the visitor never types one), in the browser's language."""
    program = card.program
    g.program_locale = program.locale
    refresh()
    form = FreshLinkForm(formdata=None, token=token)
    response = _page("enrollment/fresh_link.html", program, 410, form=form)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def invalid_link() -> Response:
    g.program_locale = None
    refresh()
    return _message(None, 404, _("This link is not valid. Check that it was copied whole, or scan the shop's QR code again."))


@bp.post("/join/<slug>/fresh-link")
@limiter.limit(resend_rate)
def fresh_link(slug: str) -> Response:
    """Sends the card named by a genuine (if expired) link a new card e-mail, to its own address."""
    from app.wallet.google import genuine_serial  # the Google side is optional on some trees

    program = _program(slug)
    form = FreshLinkForm()
    if not form.validate_on_submit():
        abort(404)
    serial = genuine_serial(form.token.data or "")
    card = db.session.scalar(select(Card).where(Card.serial_number == serial)) if serial else None
    if card is None or card.program_id != program.id:
        abort(404)
    member = card.member
    if (not card.voided and member.erased_at is None and member.email and not member.email.endswith("@invalid")
            and card_mail_allowed(card.id)):
        send_in_background(card_mail(member))
    db.session.commit()
    return _message(program, 200, _("If this card is still active, a fresh link is on its way to the e-mail address "
                                    "it was issued to."))


@bp.get("/join/<slug>/card/<token>")
def joined(slug: str, token: str) -> Response:
    program = _program(slug)
    try:
        card = card_from_token(token)
    except LinkExpired:
        return _message(program, 410, _("This link has expired. Join again with the same e-mail, or use \"Lost your card?\", and the card will come to you by e-mail."))
    if card is None or card.program_id != program.id:
        abort(404)
    response = _page("enrollment/joined.html", program, buttons=card_links(card, request.user_agent.string))
    response.vary.add("User-Agent")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the address is a key to the card
    return response


def _message(program: Program | None, status: int, text: str) -> Response:
    return _page("enrollment/message.html", program, status, code=status, text=text)


def _program_of_request() -> Program | None:
    slug = (request.view_args or {}).get("slug")
    return _find_program(slug) if slug else None


@bp.errorhandler(404)
def not_found(exc: HTTPException) -> Response:
    return _message(None, 404, _("There is no loyalty card here. Check the address or scan the shop's QR code again."))


@bp.errorhandler(429)
def too_many(exc: HTTPException) -> Response:
    response = _message(_program_of_request(), 429, _("Too many attempts from this connection. Wait a minute and try again."))
    response.headers["Retry-After"] = "60"
    return response


@bp.errorhandler(CSRFError)
def form_expired(exc: CSRFError) -> Response:
    """The page sat open too long (or cookies are off): the same form again, input kept."""
    program = _program_of_request()
    if program is None:
        return not_found(exc)
    if request.endpoint == "enrollment.lost_card":
        lost = LostCardForm()
        lost.form_errors.append(_("This page was open for too long. Check your details and send them again."))
        return _page("enrollment/lost.html", program, 400, form=lost)
    if request.endpoint == "enrollment.fresh_link":
        return _message(program, 400, _("This page was open for too long. Open the link from your e-mail again."))
    form = LocatedJoinForm()  # bound to what was sent, with a fresh token to send it again
    form.form_errors.append(_("This page was open for too long. Check your details and send them again."))
    return _page("enrollment/join.html", program, 400, form=form)
