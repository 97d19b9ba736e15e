"""Words for the codes stored on a member's rows (ledger kinds, outcomes, consent sources)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


def member_labels() -> dict[str, dict[str, Any]]:
    return {
        "kind_labels": {"earn": _l("earned"), "redeem": _l("redeemed"), "bonus": _l("bonus"), "reward": _l("reward"),
                        "expire": _l("expired"), "adjust": _l("adjusted")},
        "code_labels": {"issued": _l("open"), "used": _l("used"), "expired": _l("expired"), "void": _l("void")},
        "platform_labels": {"apple": _l("Apple Wallet"), "google": _l("Google Wallet")},
        "outcome_labels": outcome_labels(),
        "consent_labels": {"terms": _l("terms"), "marketing": _l("marketing messages"), "erasure": _l("erasure")},
        "source_labels": {"join": _l("join page"), "api": _l("till system (API)"), "import": _l("import"),
                          "dashboard": _l("dashboard"), "demo": _l("demo"), "till": _l("till")},
    }


def outcome_labels() -> dict[str, Any]:
    return {"delivered": _l("delivered"), "retry": _l("retried"), "failed": _l("failed"),
            "unregistered": _l("phone gone")}
