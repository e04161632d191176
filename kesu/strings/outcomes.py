"""AAPOR categories and final disposition codes with their names, zh-CN and English.

The one place where the codes of AAPOR Standard Definitions (AAPOR 2023, 10th ed.,
Table 1, in-person household surveys) are named: the web fieldwork monitor, the
interviewer's pages and the PDF report's fieldwork appendix all read these names
through :func:`kesu.i18n.tr` (keys ``aapor_<category>`` and ``disposition_<code>``).
:mod:`sampling.outcomes` takes its list of codes from :data:`DISPOSITION_LABELS`.
"""

from __future__ import annotations

#: AAPOR category -> (code range of Table 1, zh-CN name, English name)
CATEGORY_LABELS: dict[str, tuple[str, str, str]] = {
    "I": ("1.1", "完成访问", "Complete"),
    "P": ("1.2", "部分完成", "Partial"),
    "R": ("2.1", "拒访与中途退出", "Refusal and break-off"),
    "NC": ("2.2", "未接触", "Non-contact"),
    "O": ("2.3", "其他未访", "Other non-interview"),
    "UH": ("3.1", "资格不明（住户）", "Unknown if household"),
    "UO": ("3.2–3.9", "资格不明（其他）", "Unknown, other"),
    "NE": ("4", "不合格", "Not eligible"),
}

#: the detailed codes offered when recording a contact attempt or a final outcome
#: (AAPOR 2023, Table 1, in-person household surveys; labels zh-CN / en)
DISPOSITION_LABELS: dict[str, tuple[str, str]] = {
    "1.1": ("完成访问", "Complete"),
    "1.2": ("部分完成", "Partial"),
    "2.111": ("家户拒访", "Household-level refusal"),
    "2.112": ("被选者拒访", "Known-respondent refusal"),
    "2.12": ("中途退出", "Break-off"),
    "2.23": ("无法进入楼栋或住户", "Unable to enter building/reach housing unit"),
    "2.24": ("家中无人", "No one at residence"),
    "2.25": ("被选者外出或不在", "Respondent away/unavailable"),
    "2.31": ("被选者已故", "Respondent deceased"),
    "2.32": ("身体或智力原因无法访问", "Physically or mentally unable/incompetent"),
    "2.33": ("语言障碍", "Language problem"),
    "2.35": ("其他原因", "Miscellaneous"),
    "3.11": ("未派出访问", "Not attempted or worked"),
    "3.17": ("无法到达或地址不安全", "Unable to reach/unsafe area"),
    "3.18": ("无法找到地址", "Unable to locate an address"),
    "3.19": ("未回复", "Nothing ever returned"),
    "3.21": ("未完成入户筛选", "No screener completed"),
    "3.90": ("其他（资格不明）", "Other, eligibility unknown"),
    "4.10": ("不在样本范围内", "Out of sample"),
    "4.51": ("非住户（商铺、单位等）", "Business, government office, other organisation"),
    "4.60": ("空置房", "Vacant housing unit"),
    "4.70": ("家中无合格成员（18-69岁）", "No eligible respondent"),
    "4.80": ("配额已满", "Quota filled"),
}


STRINGS: dict[str, dict[str, str]] = {
    "zh-CN": {
        **{f"aapor_{c}": zh for c, (_, zh, _) in CATEGORY_LABELS.items()},
        **{f"aapor_code_{c}": code for c, (code, _, _) in CATEGORY_LABELS.items()},
        **{f"disposition_{c}": zh for c, (zh, _) in DISPOSITION_LABELS.items()},
    },
    "en": {
        **{f"aapor_{c}": en for c, (_, _, en) in CATEGORY_LABELS.items()},
        **{f"aapor_code_{c}": code for c, (code, _, _) in CATEGORY_LABELS.items()},
        **{f"disposition_{c}": en for c, (_, en) in DISPOSITION_LABELS.items()},
    },
}
