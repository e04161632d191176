"""Writes the XLSForms in this folder, in the styles Kobo and ODK users produce.

The ``.xlsx`` files are committed (tests read them as a user's file); this script is
how they were made, kept so a reader can see every cell without a spreadsheet:
``.venv/bin/python tests/questionnaires/data/xlsform/make_forms.py``.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
EN, ZH = "English (en)", "中文 (zh)"


def write(name: str, sheets: dict[str, list[list[object]]]) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(HERE / name)


# A KoboToolbox household survey: two languages, metadata, groups, a note, constraints
# with messages, relevance, a calculation, a multiple choice with an exclusive-style
# constraint, and a household roster repeat (kesu's CAPI lists the household itself).
write(
    "kobo_household.xlsx",
    {
        "survey": [
            [
                "type",
                "name",
                f"label::{EN}",
                f"label::{ZH}",
                f"hint::{EN}",
                f"hint::{ZH}",
                "required",
                "relevant",
                "constraint",
                f"constraint_message::{EN}",
                f"constraint_message::{ZH}",
                "calculation",
                "appearance",
                "default",
            ],
            ["start", "start"],
            ["end", "end"],
            ["today", "today"],
            ["deviceid", "deviceid"],
            [
                "begin_group",
                "consent_page",
                "Consent",
                "知情同意",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "field-list",
            ],
            ["note", "welcome", "Thank you for taking part.", "感谢您参加调查。"],
            [
                "select_one yes_no",
                "consent",
                "Do you agree to take part?",
                "您同意参加吗？",
                "",
                "",
                "yes",
            ],
            ["end_group"],
            [
                "begin_group",
                "person",
                "About you",
                "个人情况",
                "",
                "",
                "",
                "${consent} = 'yes'",
                "",
                "",
                "",
                "",
                "field-list",
            ],
            [
                "integer",
                "age",
                "How old are you?",
                "您多大年龄？",
                "In full years",
                "周岁",
                "yes",
                "",
                ". >= 18 and . <= 69",
                "Age must be 18 to 69",
                "年龄须在18至69岁之间",
            ],
            ["select_one sex", "sex", "Sex", "性别", "", "", "yes"],
            [
                "decimal",
                "height",
                "Height (m)",
                "身高（米）",
                "",
                "",
                "",
                "",
                ". > 0.5 and . < 2.5",
                "Between 0.5 and 2.5 m",
                "0.5至2.5米之间",
            ],
            [
                "decimal",
                "weight",
                "Weight (kg)",
                "体重（公斤）",
                "",
                "",
                "",
                "",
                ". > 20",
                "More than 20 kg",
                "大于20公斤",
            ],
            [
                "calculate",
                "bmi",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "${weight} div (${height} * ${height})",
            ],
            [
                "select_multiple media",
                "media",
                "Where do you get news?",
                "您从哪里获取新闻？",
                "Choose up to three",
                "最多选三项",
                "yes",
                "",
                "count-selected(.) <= 3 and not(selected(., 'none') and count-selected(.) > 1)",
                "At most three, and 'none' alone",
                "最多三项，“都没有”只能单选",
                "",
                "minimal",
            ],
            [
                "text",
                "media_other",
                "Which other source?",
                "其他来源是什么？",
                "",
                "",
                "yes",
                "selected(${media}, 'other')",
                "string-length(.) <= 100",
            ],
            [
                "integer",
                "tv_hours",
                "Hours of TV a day",
                "每天看电视几小时",
                "",
                "",
                "",
                "selected(${media}, 'tv') and ${age} >= 18",
                ". >= 0 and . <= 24",
                "0-24",
                "0至24",
                "",
                "",
                "0",
            ],
            ["end_group"],
            ["begin_repeat", "household", "Household members", "家庭成员"],
            ["text", "member_name", "Nickname", "称呼"],
            ["select_one sex", "member_sex", "Sex", "性别"],
            ["integer", "member_age", "Age", "年龄"],
            ["end_repeat"],
        ],
        "choices": [
            ["list_name", "name", f"label::{EN}", f"label::{ZH}"],
            ["yes_no", "yes", "Yes", "是"],
            ["yes_no", "no", "No", "否"],
            ["sex", "1", "Male", "男"],
            ["sex", "2", "Female", "女"],
            ["media", "tv", "Television", "电视"],
            ["media", "phone", "Mobile phone", "手机"],
            ["media", "paper", "Newspaper", "报纸"],
            ["media", "other", "Other", "其他"],
            ["media", "none", "None of these", "都没有"],
        ],
        "settings": [
            ["form_title", "form_id", "version", "default_language", "style"],
            ["Household media survey", "household_media", "2024061501", EN, "pages"],
        ],
    },
)

# An ODK science-literacy test in Chinese only (plain `label` column): answer keys in
# kesu_* columns, nested groups, a Likert item, a calculation with if(), and the
# kesu sheet with the scoring rules (one dimension).
write(
    "odk_science_quiz.xlsx",
    {
        "survey": [
            [
                "type",
                "name",
                "label",
                "hint",
                "required",
                "relevant",
                "constraint",
                "calculation",
                "appearance",
                "parameters",
                "kesu_key",
                "kesu_points",
                "kesu_dimension",
                "kesu_explanation",
            ],
            ["calculate", "survey_year", "", "", "", "", "", "2025"],
            ["begin group", "profile", "基本情况", "", "", "", "", "", "field-list"],
            [
                "integer",
                "birth_year",
                "您哪一年出生？",
                "四位数",
                "true()",
                "",
                ". >= 1955 and . <= 2007",
            ],
            ["select_one edu", "education", "您的文化程度", "", "true()"],
            ["end group"],
            ["calculate", "age", "年龄", "", "", "", "", "${survey_year} - ${birth_year}"],
            ["calculate", "senior", "", "", "", "", "", "if(${age} >= 60, 1, 0)"],
            ["begin group", "quiz", "科学知识", "", "", "", "", "", "field-list"],
            ["note", "quiz_intro", "请选出正确答案。"],
            [
                "select_one abcd",
                "q1",
                "地球绕太阳一圈约需多长时间？",
                "",
                "yes",
                "",
                "",
                "",
                "",
                "randomize=true",
                "c",
                "5",
                "knowledge",
                "约一年。",
            ],
            [
                "select_multiple abcd",
                "q2",
                "下列哪些是哺乳动物？",
                "",
                "yes",
                "",
                "",
                "",
                "",
                "",
                "a b",
                "5",
                "knowledge",
            ],
            ["begin group", "quiz_more", "科学知识（续）", "", "", "not(${education} = 'none')"],
            [
                "select_one abcd",
                "q3",
                "光的传播速度比声音快吗？（选a表示是）",
                "",
                "yes",
                "",
                "",
                "",
                "",
                "",
                "a",
                "10",
                "knowledge",
            ],
            ["end group"],
            [
                "select_one agree",
                "trust",
                "您相信科学家吗？",
                "",
                "",
                "${age} >= 18",
                "",
                "",
                "likert",
            ],
            ["end group"],
        ],
        "choices": [
            ["list_name", "name", "label"],
            ["edu", "none", "未上过学"],
            ["edu", "primary", "小学"],
            ["edu", "higher", "中学及以上"],
            ["abcd", "a", "甲"],
            ["abcd", "b", "乙"],
            ["abcd", "c", "丙"],
            ["abcd", "d", "丁"],
            ["agree", "1", "不同意"],
            ["agree", "2", "说不清"],
            ["agree", "3", "同意"],
        ],
        "settings": [
            ["form_title", "form_id", "version"],
            ["科学素质小测验", "science_quiz", "3"],
        ],
        "kesu": [
            ["key", "value"],
            ["population", "min_age: 18\nmax_age: 70"],
            ["reference_year", "2025"],
            [
                "scoring",
                "dimensions:\n  knowledge: {max: 100}\nlevels:\n  - {code: literate, "
                "label: 合格, min: 60}\n  - {code: low, label: 不合格, min: 0}",
            ],
        ],
    },
)

# A cascading select (province -> city) with choice_filter: each city is offered when its
# province column matches the answer (kesu: the option's relevant, 'zj' == province).
write(
    "cascading_select.xlsx",
    {
        "survey": [
            ["type", "name", f"label::{ZH}", f"label::{EN}", "choice_filter"],
            ["select_one province", "province", "省份", "Province"],
            ["select_one city", "city", "城市", "City", "province=${province}"],
        ],
        "choices": [
            ["list_name", "name", f"label::{ZH}", f"label::{EN}", "province"],
            ["province", "zj", "浙江", "Zhejiang"],
            ["province", "js", "江苏", "Jiangsu"],
            ["city", "yiwu", "义乌", "Yiwu", "zj"],
            ["city", "hangzhou", "杭州", "Hangzhou", "zj"],
            ["city", "suzhou", "苏州", "Suzhou", "js"],
        ],
        "settings": [["form_title", "form_id", "version"], ["Where", "where", "1"]],
    },
)

# A repeat of visits that is no household roster: refused by row.
write(
    "repeat_visits.xlsx",
    {
        "survey": [
            ["type", "name", f"label::{ZH}", f"label::{EN}"],
            ["integer", "n_visits", "去过几次科技馆？", "How many museum visits?"],
            ["begin_repeat", "visit", "每次参观", "Each visit"],
            ["text", "museum", "哪个场馆？", "Which museum?"],
            ["integer", "minutes", "参观了多少分钟？", "How many minutes?"],
            ["end_repeat"],
        ],
        "choices": [["list_name", "name", "label"]],
        "settings": [["form_title", "form_id", "version"], ["Visits", "visits", "1"]],
    },
)

# What kesu cannot state, several problems in one form: each is named by its cell.
write(
    "unsupported.xlsx",
    {
        "survey": [
            [
                "type",
                "name",
                f"label::{ZH}",
                f"label::{EN}",
                "required",
                "relevant",
                "constraint",
                "choice_filter",
            ],
            ["text", "phone", "电话", "Phone", "yes", "", "regex(., '^[0-9]{11}$')"],
            ["text", "name", "姓名", "Name", "${phone} != ''"],
            ["integer", "age-years", "年龄", "Age"],
            ["datetime", "visit_time", "调查时间", "Time of visit"],
            ["note", "hello", "您好，${name}", "Hello, ${name}"],
            ["geopoint", "where", "位置", "Location"],
            ["select_one yn", "ok", "好吗？", "OK?", "", "/data/phone != ''"],
            [
                "select_one yn",
                "sure",
                "确定吗？",
                "Sure?",
                "",
                "",
                "",
                "starts-with(name, ${phone})",
            ],
        ],
        "choices": [
            ["list_name", "name", f"label::{ZH}", f"label::{EN}"],
            ["yn", "y", "是", "Yes"],
            ["yn", "n", "否", "No"],
        ],
        "settings": [["form_title", "form_id", "version"], ["Bad", "bad", "1"]],
    },
)

# A KoboToolbox museum-visit form with dates: a date question with a relevance on the
# answer before it and a constraint that compares the date with a fixed day.
write(
    "kobo_museum_visit.xlsx",
    {
        "survey": [
            [
                "type",
                "name",
                f"label::{ZH}",
                f"label::{EN}",
                "required",
                "relevant",
                "constraint",
                f"constraint_message::{ZH}",
                f"constraint_message::{EN}",
            ],
            [
                "select_one yn",
                "visited",
                "过去一年您去过科技馆吗？",
                "Did you visit a science museum in the past year?",
                "yes",
            ],
            [
                "date",
                "visit_day",
                "最近一次是哪天？",
                "On which day was the last visit?",
                "yes",
                "${visited} = 'y'",
                ". >= '2020-01-01'",
                "请填 2020 年以后的日期",
                "A day from 2020 on",
            ],
            [
                "integer",
                "hours",
                "待了几个小时？",
                "How many hours did you stay?",
                "no",
                "${visited} = 'y'",
                ". >= 0 and . <= 12",
            ],
        ],
        "choices": [
            ["list_name", "name", f"label::{ZH}", f"label::{EN}"],
            ["yn", "y", "是", "Yes"],
            ["yn", "n", "否", "No"],
        ],
        "settings": [
            ["form_title", "form_id", "version", "default_language"],
            ["科技馆参观", "museum_visit", "2026120601", ZH],
        ],
    },
)
