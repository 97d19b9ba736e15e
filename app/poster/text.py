"""The poster's few sentences, in the program's language (the poster hangs in the shop, not on a phone)."""
from __future__ import annotations

from typing import TypedDict


class PosterText(TypedDict):
    headline: str
    invitation: str
    link_intro: str
    print_button: str
    qr_alt: str
    logo_alt: str


TEXTS: dict[str, PosterText] = {
    "it": {
        "headline": "La nostra carta fedeltà è nel tuo telefono",
        "invitation": "Inquadra il codice con la fotocamera: in un minuto la carta è nel tuo Wallet "
                      "e ogni acquisto conta.",
        "link_intro": "Oppure apri",
        "print_button": "Stampa il poster",
        "qr_alt": "Codice QR per iscriversi a {name}",
        "logo_alt": "Logo di {name}",
    },
    "en": {
        "headline": "Our loyalty card lives on your phone",
        "invitation": "Point your camera at the code: in a minute the card is in your Wallet "
                      "and every purchase counts.",
        "link_intro": "Or open",
        "print_button": "Print the poster",
        "qr_alt": "QR code to join {name}",
        "logo_alt": "{name} logo",
    },
}


def poster_text(locale: str) -> PosterText:
    """Unknown languages fall back to English, the one most customers anywhere can read."""
    return TEXTS.get(locale, TEXTS["en"])
