"""Labels and number formats shared by the PDF and the web dashboard (no reportlab).

Number formats are fixed here so the PDF, the dashboard and the tests agree:
percentages with one decimal (``17.3``), intervals ``15.2–19.6``, CV in
percent with one decimal, design effects with two decimals. Labels come from
the questionnaire (groups, towns, levels, dimensions) and the catalogue
:mod:`kesu.i18n`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from kesu.i18n import tr
from questionnaires.model import Questionnaire
from reports.model import DomainRow
from reports.model import Rules

logger = logging.getLogger(__name__)

DASH = "—"


def pct(x: float, digits: int = 1) -> str:
    """A share as a percentage: ``pct(0.1734) == '17.3'`` ("—" if not finite).

    Example:
        >>> pct(0.1734)
        '17.3'
    """
    return f"{100 * x:.{digits}f}" if math.isfinite(x) else DASH


def ci_text(low: float, high: float, digits: int = 1) -> str:
    """An interval of shares in percent: ``'15.2–19.6'``.

    Example:
        >>> ci_text(0.152, 0.196)
        '15.2–19.6'
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return DASH
    return f"{pct(low, digits)}–{pct(high, digits)}"


def num(x: float, digits: int = 2) -> str:
    """A number with ``digits`` decimals ("—" if not finite).

    Example:
        >>> num(1.2345)
        '1.23'
    """
    return f"{x:.{digits}f}" if x is not None and math.isfinite(x) else DASH


def pp(x: float) -> str:
    """A difference of shares in percentage points with a sign: ``'+1.2'``.

    Example:
        >>> pp(0.012)
        '+1.2'
    """
    return f"{100 * x:+.1f}" if math.isfinite(x) else DASH


def p_text(p: float) -> str:
    """A p-value as text: ``p = 0.012``, ``p < 0.001`` (``p = —`` when not finite).

    Example:
        >>> p_text(0.0123), p_text(1e-5)
        ('p = 0.012', 'p < 0.001')
    """
    if not math.isfinite(p):
        return f"p = {DASH}"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def signed(x: float, digits: int = 1) -> str:
    """A signed number without a negative zero: ``signed(-0.01) == '0.0'``.

    Example:
        >>> signed(3.21), signed(-0.04), signed(-1.25)
        ('+3.2', '0.0', '-1.2')
    """
    if not math.isfinite(x):
        return DASH
    text = f"{x:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


@dataclass(frozen=True)
class Labels:
    """Language and label lookups for one report (PDF or dashboard)."""

    lang: str
    questionnaire: Questionnaire
    rules: Rules
    #: observed age range of age-defined key groups (``ReportData.group_ages``)
    group_ages: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    # -- text ------------------------------------------------------------------------------
    def t(self, key: str, **values: Any) -> str:
        """Catalogue string (see :mod:`kesu.i18n`)."""
        return tr(self.lang, key, **values)

    def t_or(self, key: str, default: str) -> str:
        """Catalogue string ``key``, or ``default`` when the catalogue has none (names of
        calibration variables, covariates, weighting steps, references)."""
        try:
            return tr(self.lang, key)
        except KeyError:
            return default

    @property
    def level_pct(self) -> str:
        return f"{100 * self.rules.level:g}"

    def date(self, day: dt.date) -> str:
        """``2025年9月30日`` (zh-CN) or ``30 September 2025``.

        Example:
            >>> Labels("en", q, rules).date(dt.date(2025, 9, 30))  # doctest: +SKIP
            '30 September 2025'
        """
        if self.lang == "zh-CN":
            return f"{day.year}年{day.month}月{day.day}日"
        return f"{day.day} {day.strftime('%B')} {day.year}"

    def population_text(self) -> str:
        """The target population (questionnaire's description, else its age range)."""
        pop = self.questionnaire.population
        if pop.description is not None:
            return pop.description.get(self.lang)
        return self.t("population_ages", low=pop.min_age, high=pop.max_age)

    # -- labels from the questionnaire ------------------------------------------------------
    def option_label(self, concept_or_item: str, code: str) -> str:
        """Label of an option of a demographic concept (``town``) or an item id."""
        q = self.questionnaire
        item = q.items_by_concept().get(concept_or_item)
        if item is None and q.has_variable(concept_or_item):
            item = q.item(concept_or_item)
        if item is not None:
            opt = item.option(code)
            if opt is not None:
                return opt.label.get(self.lang)
        return code

    def group_label(self, group_id: str) -> str:
        """Label of a key group ("" is everybody)."""
        if group_id == "":
            return self.t("overall")
        for g in self.questionnaire.groups:
            if g.id == group_id:
                label = g.label.get(self.lang)
                if group_id in self.group_ages:
                    # say which ages the sample covers ("60+" when only 60-69 are sampled)
                    lo, hi = self.group_ages[group_id]
                    base = re.sub(r"\s*[（(][^（()）]*[)）]\s*$", "", label)
                    return self.t("group_ages", label=base, low=lo, high=hi)
                return label
        return group_id

    def level_label(self, code: str) -> str:
        level = self.questionnaire.scoring.level(code)
        return level.label.get(self.lang) if level is not None else code

    def level_band(self, code: str) -> str:
        """The total scores of a level, from the questionnaire's cuts: 85分及以上,
        70分至不足85分, 不足55分 (a level reaches from its minimum to the next one's)."""
        levels = sorted(self.questionnaire.scoring.levels, key=lambda lv: lv.minimum)
        at = next((i for i, lv in enumerate(levels) if lv.code == code), None)
        if at is None:
            return ""
        low = levels[at].minimum
        high = levels[at + 1].minimum if at + 1 < len(levels) else None
        if high is None:
            return self.t("level_band_top", low=f"{low:g}")
        if low <= 0:
            return self.t("level_band_bottom", high=f"{high:g}")
        return self.t("level_band", low=f"{low:g}", high=f"{high:g}")

    def dimension_label(self, dim_id: str) -> str:
        dim = self.questionnaire.scoring.dimension(dim_id)
        return dim.label.get(self.lang) if dim is not None else dim_id

    def item_label(self, item_id: str) -> str:
        if self.questionnaire.has_variable(item_id):
            text = self.questionnaire.item(item_id).text.get(self.lang)
            return text.split("？")[0].split("?")[0] if text else item_id
        return item_id

    # -- rows ----------------------------------------------------------------------------------
    def flag_text(self, row: DomainRow) -> str:
        """The notes cell: suppression, or the reliability flags."""
        if row.suppressed:
            return self.t("suppressed", m=self.rules.suppress_below)
        names = []
        rel = self.rules.reliability
        for f in row.flags:
            if f == "small_n":
                names.append(self.t("flag_small_n", min_n=rel.min_n))
            elif f == "high_cv":
                names.append(self.t("flag_high_cv", cv=f"{100 * rel.max_cv:g}"))
            elif f in ("no_df", "empty", "boundary"):
                names.append(self.t(f"flag_{f}"))
        sep = self.t("clause_sep")
        return sep.join(names)

    def rate_text(self, row: DomainRow) -> str:
        """Estimate in percent, marked † when unreliable, "—" when suppressed."""
        if row.suppressed:
            return DASH
        mark = self.t("unreliable_mark") if row.unreliable else ""
        return pct(row.estimate) + mark
