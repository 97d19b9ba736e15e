"""The till screen: find the card (camera or typed), add a purchase, redeem.

Every action form carries a one-time key made when the page was drawn, passed to the loyalty
functions as the idempotency key: a double click, a resubmitted page or a retry credits once.
Each action answers with a redirect to the till, which shows what was done in a big panel and
waits for the next card (POST, redirect, GET: a reload never posts again)."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.dashboard import bp, login_required, owned_program
from app.dashboard import till_input as read
from app.dashboard.till_actions import Done, code_used, points_added, purchase_added, reward_given, stamps_added, \
    stamps_redeemed
from app.dashboard.till_view import card_view, entry_kinds, find_card, refusal, served_today
from app.extensions import db
from app.loyalty.enrollment import CARD_DIGITS, is_card_number
from app.loyalty.errors import IdempotencyKeyReused, LoyaltyError
from app.loyalty.stamps import stamp_reward_name
from app.models import Card, Program

DONE_KEY = "till_done"
RECENT_KEY = "till_recent"  # the keys of this session's last actions, with what they did
RECENT_KEPT = 4  # the session is a cookie: a few are enough for a resubmitted page

Action = Callable[[Card, str], Done]


@bp.get("/programs/<int:program_id>/till")
@login_required
def till(program_id: int) -> str | Response | tuple[str, int]:
    program = owned_program(program_id)
    typed = request.args.get("card")
    error = None
    if typed is not None:
        number = read.card_number(typed)
        card = find_card(g.staff.merchant_id, number) if is_card_number(number) else None
        if card is not None:
            return _open(program, card)
        error = _not_found(number)
    page = render_template("dashboard/till/start.html", program=program, typed=typed or "", error=error,
                           done=session.pop(DONE_KEY, None), recent=served_today(program))
    return (page, 404 if error else 200) if typed is not None else page


def _not_found(number: str) -> str:
    if not number:
        return _("Type the card number, or scan the card's QR code.")
    if not (number.isdigit() and len(number) == CARD_DIGITS):
        return _("%(number)s is not a card number: a card number has 13 digits. Check what was typed.",
                 number=number)
    if not is_card_number(number):  # 13 digits, but the check digit says one of them was mistyped
        return _("%(number)s is not a card number: the last digit does not match the others. Check the number.",
                 number=number)
    return _("No card of this shop has the number %(number)s.", number=number)


def _card(number: str) -> Card:
    card = find_card(g.staff.merchant_id, read.card_number(number))
    if card is None:
        abort(404)
    return card


@bp.get("/programs/<int:program_id>/till/<card_number>")
@login_required
def till_card(program_id: int, card_number: str) -> str | Response:
    program = owned_program(program_id)
    card = _card(card_number)
    if card.program_id != program.id:
        return _open(program, card)
    return _card_page(card)


def _open(program: Program, card: Card) -> Response:
    """The card's page at its program's till; a card of the merchant's other program moves the
    till there (which becomes the chosen program) and says so."""
    if card.program_id != program.id:
        flash(_("This card belongs to another program, so the till has switched to it: %(program)s.", program=card.program.name),
              "message")
    return redirect(url_for("dashboard.till_card", program_id=card.program_id, card_number=card.card_number))


def _card_page(card: Card, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
               status: int = 200) -> Any:
    program = card.program
    html = render_template("dashboard/till/card.html", program=program, view=card_view(card), errors=errors or {},
                           values=values or {}, new_key=lambda: uuid.uuid4().hex, kinds=entry_kinds(),
                           currency_sign=read.currency_sign(program.currency), stamp_reward=stamp_reward_name(program))
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # a balance seen again must be the current one
    return response


def _act(program_id: int, card_number: str, field: str, action: Action) -> Any:
    program = owned_program(program_id)
    card = _card(card_number)
    if card.program_id != program.id:
        abort(404)
    raw_key = request.form.get("idempotency_key", "")
    if (earlier := session.get(RECENT_KEY, {}).get(raw_key)) is not None:
        return _show(program, earlier | {"replayed": True})  # this browser sent this form before
    try:
        key = read.idempotency_key(raw_key)
        if (why := refusal(card)) is not None:
            raise read.TillInputError(field, why, 409)
        done = _run(action, card, key, field)
    except read.TillInputError as exc:
        db.session.rollback()
        return _card_page(card, {exc.field: exc.message}, dict(request.form), exc.status)
    _remember(raw_key, done)
    return _show(program, done)


def _run(action: Action, card: Card, key: str, field: str) -> Done:
    """The action, committed; a twin request that committed the same key first is replayed."""
    for attempt in (1, 2):
        try:
            done = action(card, key)
            db.session.commit()
            return done
        except IdempotencyKeyReused as exc:
            db.session.rollback()
            if attempt == 2 or "same moment" not in exc.message:
                raise read.refusal(exc, "form") from None
        except LoyaltyError as exc:
            db.session.rollback()
            raise read.refusal(exc, field) from None
    raise AssertionError("unreachable")


def _remember(raw_key: str, done: Done) -> None:
    recent = dict(session.get(RECENT_KEY, {}))
    recent[raw_key] = done
    session[RECENT_KEY] = dict(list(recent.items())[-RECENT_KEPT:])


def _show(program: Program, done: Done) -> Response:
    session[DONE_KEY] = done
    return redirect(url_for("dashboard.till", program_id=program.id))


def _route(suffix: str, endpoint: str, field: str, action: Action) -> None:
    @login_required
    def view(program_id: int, card_number: str) -> Any:
        return _act(program_id, card_number, field, action)

    view.__name__ = endpoint
    bp.add_url_rule(f"/programs/<int:program_id>/till/<card_number>/{suffix}", endpoint, view, methods=["POST"])


_route("purchase", "till_purchase", "amount", purchase_added)
_route("points", "till_points", "points", points_added)
_route("stamps", "till_stamps", "stamps", stamps_added)
_route("redeem", "till_redeem", "reward", reward_given)
_route("redeem-stamps", "till_redeem_stamps", "stamp_reward", stamps_redeemed)
_route("code", "till_code", "code", code_used)
