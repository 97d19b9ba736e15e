from __future__ import annotations

import re

import pytest

from passes.apple import decode_pass_strings, encode_pass_strings
from passes.apple.strings import PassStringsError, parse_pass_strings


def test_round_trip_with_every_escape() -> None:
    table = {'say "hi"': 'back\\slash\nnew line\ttab "quoted"', "è": "Caffè · ☕", "empty": ""}
    data = encode_pass_strings(table)
    assert data.startswith(b"\xff\xfe")
    assert decode_pass_strings(data) == table
    text = data[2:].decode("utf-16-le")
    assert '"say \\"hi\\"" = "back\\\\slash\\nnew line\\ttab \\"quoted\\"";\n' in text


def test_equal_tables_give_equal_bytes() -> None:
    assert encode_pass_strings({"b": "2", "a": "1"}) == encode_pass_strings({"a": "1", "b": "2"})


def test_apple_style_files_parse() -> None:
    text = '/* Points */\n"points" = "Punti";\n// tier\n"tier"="Livello" ;\n"u" = "\\U00e8";\n'
    assert parse_pass_strings(text) == {"points": "Punti", "tier": "Livello", "u": "è"}
    big_endian = b"\xfe\xff" + '"a" = "b";'.encode("utf-16-be")
    assert decode_pass_strings(big_endian) == {"a": "b"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('"a" = "b";'.encode(), "is not UTF-16 (it has no byte-order mark)"),
        (b"\xff\xfe\x00\xd8", "is not valid UTF-16"),
        (b"\xff\xfe" + '"a" = "b"\n"c" = "d";'.encode("utf-16-le"), "has a malformed entry on line 1"),
    ],
)
def test_unreadable_files_say_why(data: bytes, message: str) -> None:
    with pytest.raises(PassStringsError, match=re.escape(message)):
        decode_pass_strings(data)
