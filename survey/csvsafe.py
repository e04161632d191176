"""CSV files meant for spreadsheets, safe from formula injection.

A respondent's free text (or a sample file's cell) such as ``=HYPERLINK("http://…")``,
``+cmd|' /C calc'!A0`` or ``@SUM(A1)`` would run as a formula when a statistician opens
the CSV in Excel or WPS. Following OWASP's CSV-injection rule, a text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe (``'=…``):
spreadsheets then show it as text. Plain numbers (``-1.5``, ``+86``) are left alone, and
numbers written as numbers are never touched. The ``.sav``/``.dta`` files keep the raw text
(SPSS and Stata do not evaluate cells). Used by every CSV kesu writes for people: the
response export, the cases file, the codebook and the invitation links.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)

#: first characters that make a spreadsheet read a cell as a formula (OWASP)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is a text a spreadsheet would run as a formula.

    Example:
        >>> spreadsheet_safe('=HYPERLINK("http://x")'), spreadsheet_safe("-1.5")
        ('\\'=HYPERLINK("http://x")', '-1.5')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        if not _PLAIN_NUMBER.fullmatch(value):
            return "'" + value
    return value


class SpreadsheetWriter:
    """``csv.writer`` whose text cells pass through :func:`spreadsheet_safe`."""

    def __init__(self, stream: Any) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row (text cells neutralised)."""
        self._writer.writerow([spreadsheet_safe(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write several rows."""
        for row in rows:
            self.writerow(row)
