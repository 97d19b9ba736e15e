"""API keys of a merchant (owners only): list, create (the secret is shown once), revoke.

Only a SHA-256 of a key is stored, so the list can never show a secret again."""
from __future__ import annotations

from flask import abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.dashboard import bp, owner_required
from app.dashboard.forms import ActionForm, ApiKeyForm
from app.extensions import db
from app.models import ApiKey
from app.models._common import utcnow
from app.security import issue_api_key


def _page(form: ApiKeyForm) -> str:
    keys = db.session.scalars(
        select(ApiKey).where(ApiKey.merchant_id == g.staff.merchant_id)
        .order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())
    ).all()
    return render_template("dashboard/accounts/api_keys.html", form=form, keys=keys)


@bp.get("/api-keys")
@owner_required
def api_keys() -> str:
    return _page(ApiKeyForm(formdata=None))


@bp.post("/api-keys")
@owner_required
def api_key_create() -> str | Response:
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return _page(form)
    new = issue_api_key(g.staff.merchant_id, form.role.data, (form.label.data or "").strip())
    db.session.commit()
    response = make_response(render_template("dashboard/accounts/api_key_created.html", key=new.row,
                                             plaintext=new.plaintext))
    # The only time the secret travels: no cache, no back-button copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api-keys/<int:key_id>/revoke")
@owner_required
def api_key_revoke(key_id: int) -> Response:
    key = db.session.get(ApiKey, key_id)
    if key is None or key.merchant_id != g.staff.merchant_id:
        abort(404)
    if ActionForm().validate_on_submit() and key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.commit()
        flash(_("The key “%(label)s” is revoked: it no longer works.", label=key.label or key.prefix), "message")
    return redirect(url_for("dashboard.api_keys"))
