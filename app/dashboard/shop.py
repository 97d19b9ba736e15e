"""The shop's own page (owners): its name and its time zone.

The time zone is the shop's calendar: the days of its figures, the day a birthday bonus is given,
the day points expire, and the times on its pages. Changing it changes what the cards say (the
date a member joined, the date points go), so every card of every program of the shop is
re-rendered and pushed."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.dashboard import bp, merchant_programs, owner_required
from app.dashboard.forms import ShopForm
from app.dashboard.zones import browser_languages, suggested_zones
from app.extensions import db
from app.models import Program
from app.wallet.changes import program_cards_changed


def _page(form: ShopForm, status: int = 200) -> tuple[str, int]:
    """The zones suggested first: the shop's, then those of the browser's and the programs' languages."""
    languages = [*browser_languages(), *(program.locale for program in merchant_programs())]
    form.offer_zones(current_app.config["TIMEZONE"], suggested_zones(languages, g.staff.merchant.timezone))
    return render_template("dashboard/accounts/shop.html", form=form), status


@bp.get("/shop")
@owner_required
def shop() -> tuple[str, int]:
    merchant = g.staff.merchant
    return _page(ShopForm(shop=merchant.name, timezone=merchant.timezone or ""))


@bp.post("/shop")
@owner_required
def shop_save() -> tuple[str, int] | Response:
    form = ShopForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    merchant = g.staff.merchant
    merchant.name = (form.shop.data or "").strip()
    zone = form.timezone.data or None
    if zone != merchant.timezone:
        merchant.timezone = zone
        for program_id in db.session.scalars(select(Program.id).where(Program.merchant_id == merchant.id)):
            program_cards_changed(program_id, "timezone")  # the dates on the cards follow the calendar
    db.session.commit()
    flash(_("The shop's settings are saved."), "message")
    return redirect(url_for("dashboard.shop"))
