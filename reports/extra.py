"""The report's extra domain tables (``report.domains`` and the job's ``estimates:``).

A chapter with one numbered three-line table per entry (:meth:`Renderer.table`):
the domain (questionnaire labels where the column is coded), n, the estimate, its
confidence interval, CV and flags, with the report's suppression and † rules. The
figures are :attr:`reports.model.ReportData.extra_tables`.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from reports.labels import DASH
from reports.labels import num
from reports.labels import pct
from reports.model import DomainRow
from reports.model import ExtraTable
from reports.model import ReportData
from reports.render import Renderer

logger = logging.getLogger(__name__)

Flowables = list[Any]


def _value(statistic: str, x: float) -> str:
    if not math.isfinite(x):
        return DASH
    if statistic == "proportion":
        return pct(x)
    if statistic == "total":
        return f"{x:,.0f}"
    return num(x, 3 if statistic == "ratio" else 2)


def _label(r: Renderer, column: str) -> str:
    """A column's name in the report: the literate level's label for ``literate``,
    the catalogue's name of score columns, a short question text, else the column."""
    if column == "literate":
        return r.level_label(r.questionnaire.scoring.literate_level)
    if column in ("score_total",) or column.startswith("score_"):
        dim = column.removeprefix("score_")
        if dim == "total":
            return r.t("extra_score_total")
        return r.t("extra_score", dim=r.dimension_label(dim))
    return _item_label(r, column)


def _item_label(r: Renderer, column: str) -> str:
    """The report's name of a breakdown (城乡, 性别…), else a short question text."""
    item = r.questionnaire.items_by_concept().get(column)
    if item is None and r.questionnaire.has_variable(column):
        item = r.questionnaire.item(column)
    text = item.text.get(r.lang) if item is not None else column
    return r.t_or(f"bd_{column}", text if len(text) <= 24 else column)


def _row(r: Renderer, table: ExtraTable, levels: tuple[str, ...], row: DomainRow) -> list[str]:
    label = " / ".join(r.option_label(b, lv) if lv else DASH
                       for b, lv in zip(table.by, levels, strict=True))  # fmt: skip
    hidden = row.suppressed
    mark = r.t("unreliable_mark") if row.unreliable and not hidden else ""
    return [
        label or r.t("extra_all"),
        str(row.n),
        DASH if hidden else _value(table.statistic, row.estimate) + mark,
        DASH
        if hidden
        else f"{_value(table.statistic, row.ci_low)}–{_value(table.statistic, row.ci_high)}",
        DASH if hidden or not math.isfinite(row.cv) else pct(row.cv),
        r.flag_text(row),
    ]


def extra_domains(data: ReportData, r: Renderer, number: int) -> Flowables:
    """The chapter of extra domain tables (none when the job asks for none).

    Example:
        >>> flowables = extra_domains(data, renderer, 7)  # doctest: +SKIP
    """
    if not data.extra_tables:
        return []
    out: Flowables = [r.h1(number, r.t("sec_extra")), r.p(r.t("extra_intro"))]
    for k, table in enumerate(data.extra_tables, start=1):
        by = " × ".join(_label(r, b) for b in table.by)
        values = {"variable": _label(r, table.variable),
                  "statistic": r.t(f"stat_{table.statistic}"), "by": by}  # fmt: skip
        title = r.t("extra_title" if table.by else "extra_title_all", **values)
        header = [
            by or r.t("extra_all"),
            r.t("col_n"),
            r.t("extra_col_estimate"),
            r.t("col_ci", level=r.level_pct),
            r.t("col_cv"),
            r.t("col_flags"),
        ]
        rows = [_row(r, table, lv, row) for lv, row in zip(table.levels, table.rows, strict=True)]
        out.append(r.h2(k, by or r.t("extra_all")))
        out += r.table(title, header, rows, [118, 44, 70, 104, 50, 67], numeric_to=4)
        out.append(r.p(f"{r.t('extra_key')}{table.key}", "note"))
    return out
