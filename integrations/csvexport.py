"""CSV downloads that a spreadsheet opens as data, never as formulas.

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula (tab and CR do
the same after the spreadsheet strips them), so a TikTok-side name like
`=HYPERLINK("http://evil","click")` would run on the brand's machine. Such a cell gets a
leading single quote, as OWASP advises. A plain negative number (`-12`, `-3.50`, `-4.2%`) is
no formula and stays a number.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-\d+(?:\.\d+)?%?")


def safe_cell(value: Any) -> str:
    """The cell's text, with a leading quote if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _Echo:
    """A file-like that hands back what csv.writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def streaming_csv(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> StreamingHttpResponse:
    """A download of `header` and `rows`, streamed row by row, every cell through `safe_cell`."""
    writer = csv.writer(_Echo())
    lines = (writer.writerow([safe_cell(cell) for cell in row]) for row in _with_header(header, rows))
    response = StreamingHttpResponse(lines, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_header(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterable[Iterable[Any]]:
    yield header
    yield from rows
