"""XLSForm import and export: the round trip through ODK's converter, and real-world forms.

The forms in ``data/xlsform`` are written by ``data/xlsform/make_forms.py`` in the styles
Kobo and ODK users produce; each either imports or is refused with every problem named by
its cell (``survey!F12 (relevant)``).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kesu.cli import main
from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import Expression
from questionnaires import QuestionnaireError
from questionnaires import Text
from questionnaires import load_questionnaire
from questionnaires import parse_expression

pyxform = pytest.importorskip("pyxform", reason="the xlsform extra is not installed")
openpyxl = pytest.importorskip("openpyxl")

from pyxform.xls2xform import convert  # noqa: E402

from questionnaires.xlsform import write_xlsform  # noqa: E402
from questionnaires.xlsform_import import import_xlsform  # noqa: E402
from questionnaires.xpath import XPathError  # noqa: E402
from questionnaires.xpath import kesu_to_xpath  # noqa: E402
from questionnaires.xpath import xpath_to_kesu  # noqa: E402

FORMS = Path(__file__).parent / "data" / "xlsform"


def comparable(x: Any) -> Any:
    """A questionnaire as plain data, without file positions and the file's hash."""
    if isinstance(x, Text):
        return dict(x.values)
    if isinstance(x, Expression):
        return x.source
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        skip = {"line", "content_hash", "source", "_items"}
        return {
            f.name: comparable(getattr(x, f.name))
            for f in dataclasses.fields(x)
            if f.name not in skip
        }
    if isinstance(x, tuple | list):
        return [comparable(v) for v in x]
    if isinstance(x, frozenset):
        return sorted(x)
    return x


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlsform") / "yiwu.xlsx"
    write_xlsform(load_questionnaire(DEFAULT_QUESTIONNAIRE), path)
    return path


# -- the round trip ------------------------------------------------------------------------
def test_default_questionnaire_converts_with_pyxform_without_warnings(exported: Path) -> None:
    warnings: list[str] = []
    result = convert(xlsform=str(exported), warnings=warnings)
    assert warnings == []
    xform = result.xform
    assert 'lang="中文 (zh)"' in xform and 'lang="English (en)"' in xform
    # skip logic, constraints (min/max folded in) and calculations reach the XForm
    assert "and not( /data/demographics/occupation  = 'student' or" in xform
    assert 'constraint=". &gt;= 1950 and . &lt;= 2010 and (' in xform
    assert 'calculate=" /data/survey_year  -  /data/demographics/birth_year "' in xform
    assert "randomize(instance('A02')/root/item)" in xform


def test_round_trip_gives_the_same_questionnaire(exported: Path) -> None:
    original = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    result = import_xlsform(exported)
    assert result.notices == ()
    assert comparable(result.questionnaire) == comparable(original)
    # spot checks of what the comparison covers: keys, logic, labels, options
    q = result.questionnaire
    assert q.item("A04").key is not None and q.item("A04").key.correct == {"A", "C", "D"}
    assert q.item("employer").relevant is not None
    assert q.item("employer").relevant.source == original.item("employer").relevant.source
    assert q.item("birth_year").minimum == 1950 and q.item("birth_year").unit is not None
    assert q.item("channels").option("none") is not None
    assert q.item("channels").option("none").exclusive  # type: ignore[union-attr]
    assert [g.id for g in q.groups] == [g.id for g in original.groups]
    assert q.item("views").rows[-1].attention_expect == "4"


def test_an_xpath_edited_after_export_wins(exported: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(exported)
    ws = wb["survey"]
    headers = [c.value for c in ws[1]]
    name_col, relevant_col = headers.index("name"), headers.index("relevant")
    for row in ws.iter_rows(min_row=2):
        if row[name_col].value == "elderly_digital":
            row[relevant_col].value = "${age} >= 65"
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    result = import_xlsform(edited)
    assert result.questionnaire.item("elderly_digital").relevant.source == "age >= 65"  # type: ignore[union-attr]
    assert any("edited after export" in n for n in result.notices)


def test_cli_export_then_import(tmp_path: Path) -> None:
    runner = CliRunner()
    form, back = tmp_path / "form.xlsx", tmp_path / "back.yaml"
    out = runner.invoke(
        main,
        [
            "questionnaire",
            "export",
            str(DEFAULT_QUESTIONNAIRE),
            "--format",
            "xlsform",
            "-o",
            str(form),
        ],
    )
    assert out.exit_code == 0, out.output
    out = runner.invoke(main, ["questionnaire", "import", str(form), "-o", str(back)])
    assert out.exit_code == 0, out.output
    assert comparable(load_questionnaire(back)) == comparable(
        load_questionnaire(DEFAULT_QUESTIONNAIRE)
    )


# -- real-world forms ----------------------------------------------------------------------
def test_kobo_household_form_imports_with_notices() -> None:
    result = import_xlsform(FORMS / "kobo_household.xlsx")
    q = result.questionnaire
    assert q.id == "household_media" and q.languages == ("zh-CN", "en")
    assert [s.id for s in q.sections] == ["consent_page", "person"]
    assert q.sections[0].intro is not None and q.sections[0].intro.get("en").startswith("Thank")
    assert (
        q.sections[1].relevant is not None and q.sections[1].relevant.source == "consent == 'yes'"
    )
    age = q.item("age")
    assert age.integer and age.constraint is not None
    assert age.constraint.source == "age >= 18 and age <= 69"
    assert (
        age.constraint_message is not None
        and age.constraint_message.get("zh-CN") == "年龄须在18至69岁之间"
    )
    media = q.item("media")
    assert media.constraint is not None
    assert media.constraint.test({"media": ["tv", "phone"]})
    assert not media.constraint.test({"media": ["tv", "none"]})
    assert q.item("media_other").relevant.source == "selected(media, 'other')"  # type: ignore[union-attr]
    assert not q.item("height").required and q.item("height").integer is False
    bmi = next(d for d in q.derived if d.name == "bmi")
    assert bmi.expression.evaluate({"weight": 72, "height": 1.8}) == pytest.approx(72 / 1.8**2)
    notices = "\n".join(result.notices)
    assert "survey!A2 (type): 'start' left out" in notices
    assert "survey!A20 (type): the household roster 'household' is left out" in notices
    assert "survey!N18 (default): left out: kesu has no default answers" in notices
    assert "appearance 'minimal'" in notices
    # the YAML tells the same story at its top, and loads on its own
    assert result.yaml.startswith("# Imported from kobo_household.xlsx")
    assert "#   survey!A20 (type): the household roster" in result.yaml


def test_odk_quiz_imports_keys_nested_groups_and_scoring() -> None:
    result = import_xlsform(FORMS / "odk_science_quiz.xlsx")
    q = result.questionnaire
    assert q.languages == ("zh-CN",) and q.reference_year == 2025
    assert q.population.max_age == 70
    # the inner group is a page of its own with the conjunction of the conditions
    assert [s.id for s in q.sections] == ["profile", "quiz", "quiz_more", "quiz_2"]
    assert q.sections[2].relevant is not None
    assert not q.sections[2].relevant.test({"education": "none"})
    assert q.sections[1].intro is not None
    q1 = q.item("q1")
    assert q1.randomize and q1.key is not None and q1.key.correct == {"c"} and q1.key.points == 5
    assert q1.key.explanation is not None
    assert q.item("q2").key.correct == {"a", "b"}  # type: ignore[union-attr]
    assert q.item("trust").type.value == "likert"
    assert [d.name for d in q.derived] == ["age", "senior"]
    env = q.environment({"birth_year": 1960})
    assert env["age"] == 65 and env["senior"] == 1
    assert [lv.code for lv in q.scoring.levels] == ["literate", "low"]


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("repeat_visits.xlsx", ["survey!A3 (type): repeat 'visit' cannot be represented"]),
        (
            "unsupported.xlsx",
            [
                "survey!G2 (constraint): cannot be stated in kesu's expression language: "
                "the function regex() has no equivalent",
                "survey!E3 (required): required \"${phone} != ''\": kesu has no conditional",
                "survey!B4 (name): name 'age-years'",
                "survey!A5 (type): 'datetime': kesu has no datetime questions",
                "survey!C6 (label::中文 (zh)): the text shows an answer",
                "survey!A7 (type): 'geopoint' questions cannot be represented",
                "survey!F8 (relevant): cannot be stated in kesu's expression language: paths",
                "survey!H9 (choice_filter): choice 'y': cannot be stated in kesu's expression "
                "language",
            ],
        ),
    ],
)
def test_forms_kesu_cannot_represent_are_refused_by_cell(form: str, expected: list[str]) -> None:
    with pytest.raises(QuestionnaireError) as info:
        import_xlsform(FORMS / form)
    lines = str(info.value).splitlines()
    assert len(lines) == len(expected)
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(f"{FORMS / form}: {start}"), line


def test_loader_problems_are_named_by_cell(tmp_path: Path) -> None:
    """What only the loader sees (an unknown dimension) still names the cell."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label", "kesu_key", "kesu_points", "kesu_dimension"])
    ws.append(["select_one ab", "q1", "问题", "a", "2", "wisdom"])
    choices = wb.create_sheet("choices")
    for row in (["list_name", "name", "label"], ["ab", "a", "甲"], ["ab", "b", "乙"]):
        choices.append(row)
    wb.create_sheet("settings").append(["form_id"])
    wb["settings"].append(["quiz"])
    path = tmp_path / "quiz.xlsx"
    wb.save(path)
    with pytest.raises(QuestionnaireError) as info:
        import_xlsform(path)
    assert f"{path}: survey!F2 (kesu_dimension): item q1: unknown dimension 'wisdom'" in str(
        info.value
    )


def test_a_missing_translation_names_the_cell(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label::中文 (zh)", "label::English (en)"])
    ws.append(["text", "q1", "问题", "Question"])
    ws.append(["text", "q2", "问题二", None])
    path = tmp_path / "half.xlsx"
    wb.save(path)
    with pytest.raises(QuestionnaireError) as info:
        import_xlsform(path)
    assert f"{path}: survey!D3 (label::English (en)): no en label" in str(info.value)


def test_a_broken_form_is_refused_with_pyxforms_message(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "survey"
    wb.active.append(["type", "name", "label"])
    wb.active.append(["begin_group", "g", "G"])
    wb.active.append(["text", "q", "Q"])
    path = tmp_path / "open_group.xlsx"
    wb.save(path)
    with pytest.raises(QuestionnaireError, match="pyxform refuses the form"):
        import_xlsform(path)


# -- expressions ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("xpath", "kesu"),
    [
        ("${age} >= 18 and selected(${q1}, 'a')", "age >= 18 and selected(q1, 'a')"),
        (". >= 18 and . <= 120", "me >= 18 and me <= 120"),
        ("count-selected(.) <= 2", "count(me) <= 2"),
        ("${a} != ''", "answered(a)"),
        ("${a} = ''", "not answered(a)"),
        ("not(${a} = 'x') or ${b} mod 2 = 1", "not a == 'x' or b % 2 == 1"),
        ("string-length(.) > 3", "length(me) > 3"),
        ("if(${a} > 2, 'x', 'y')", "('x' if a > 2 else 'y')"),
        ("${a} - ${b} * (${c} + 1) div 2", "a - b * (c + 1) / 2"),
        ("${consent}", "answered(consent)"),
        ("floor(${a} div 7)", "a // 7"),
        ("(${a} = 1) = (${b} = 2)", "(a == 1) == (b == 2)"),
        ("true() and -${a} < -1.5", "true and -a < -1.5"),
    ],
)
def test_xpath_to_kesu(xpath: str, kesu: str) -> None:
    assert xpath_to_kesu(xpath, self_name="me") == kesu
    parse_expression(kesu)  # kesu's own parser accepts the translation


@pytest.mark.parametrize(
    ("xpath", "message"),
    [
        ("regex(., '[0-9]')", "regex() has no equivalent"),
        ("/data/x = 1", "paths such as"),
        ("${a} | ${b}", "unions"),
        ("jr:choice-name(${a}, '${a}')", "jr:choice-name() has no equivalent"),
        ("${multi} = 'a'", "use selected("),
        ("bare = 1", "refer to a question as ${bare}"),
        ("${a} >=", "unexpected"),
        ("${last-saved#a} = 1", "last saved"),
    ],
)
def test_xpath_kesu_cannot_state_is_refused(xpath: str, message: str) -> None:
    with pytest.raises(XPathError, match=re.escape(message)):
        xpath_to_kesu(xpath, kinds={"multi": "multiple"})


@pytest.mark.parametrize(
    "source",
    [
        "occupation not in ('student', 'retired')",
        "employer == 'party_gov' or (occupation == 'head' and employer in ('party_gov', 'x'))",
        "survey_year - birth_year >= 18 and survey_year - birth_year <= 69",
        "not answered(x) or x == null",
        "1 < a < 3 and a // 2 + -b != 0",
        "coalesce(a, b, 0) + abs(b) + round(a) + length(t) > count(m)",
        "'tv' in m and selected(m, 'phone')",
    ],
)
def test_kesu_to_xpath_and_back_means_the_same(source: str) -> None:
    """Printed as XPath and read back, an expression gives the same results."""
    back = parse_expression(xpath_to_kesu(kesu_to_xpath(source), condition=False))
    original = parse_expression(source)
    envs: list[dict[str, Any]] = [
        {},
        {"occupation": "student", "employer": "x", "birth_year": 1980, "survey_year": 2025},
        {"occupation": "head", "employer": "x", "birth_year": 2010, "survey_year": 2025},
        {"x": "v", "a": 2, "b": 5, "t": "hello", "m": ["tv", "phone"]},
        {"x": None, "a": 7, "b": -1, "t": "", "m": ["tv"]},
    ]
    for env in envs:
        assert back.evaluate(env) == original.evaluate(env), env


@pytest.mark.parametrize(
    ("name", "tag"),
    [
        ("中文 (zh)", "zh-CN"),
        ("Chinese (zh-CN)", "zh-CN"),
        ("Chinese (zh_Hans)", "zh-CN"),
        ("English (en)", "en"),
        ("English", "en"),
        ("Français (fr)", "fr"),
        ("Chinese (zh-TW)", "zh-TW"),
        ("Klingon", None),
    ],
)
def test_language_names(name: str, tag: str | None) -> None:
    from questionnaires.xlsform import language_tag

    assert language_tag(name) == tag


def test_length_counts_the_characters_of_an_answer() -> None:
    length = parse_expression("length(t)")
    assert [length.evaluate({"t": v}) for v in ("abc", None, 12, ["a", "bc"])] == [3, 0, 2, 4]


# -- dates -----------------------------------------------------------------------------------
FEATURES = Path(__file__).parent / "data" / "features.yaml"


def test_a_date_question_round_trips_through_pyxform(tmp_path: Path) -> None:
    """The features questionnaire (every kesu item type, a date among them) exported,
    converted by ODK's pyxform and imported back is the same questionnaire."""
    original = load_questionnaire(FEATURES)
    path = tmp_path / "features.xlsx"
    write_xlsform(original, path)
    warnings: list[str] = []
    xform = convert(xlsform=str(path), warnings=warnings).xform
    assert 'type="date"' in xform and "museum_day" in xform
    back = import_xlsform(path).questionnaire
    assert back.item("museum_day").type.value == "date"
    assert comparable(back.item("museum_day")) == comparable(original.item("museum_day"))


def test_kobo_museum_form_with_a_date_imports() -> None:
    result = import_xlsform(FORMS / "kobo_museum_visit.xlsx")
    q = result.questionnaire
    day = q.item("visit_day")
    assert day.type.value == "date" and day.required
    assert day.relevant is not None and day.relevant.source == "visited == 'y'"
    assert day.constraint is not None
    assert day.constraint.test({"visit_day": "2021-05-01"})
    assert not day.constraint.test({"visit_day": "2019-12-31"})
    assert (
        day.constraint_message is not None
        and day.constraint_message.get("en") == "A day from 2020 on"
    )


# -- choice_filter (cascading selects) ---------------------------------------------------------
def test_a_cascading_select_imports_as_option_conditions() -> None:
    q = import_xlsform(FORMS / "cascading_select.xlsx").questionnaire
    conditions = {o.code: o.relevant.source if o.relevant else None for o in q.item("city").options}
    assert conditions == {"yiwu": "'zj' == province", "hangzhou": "'zj' == province",
                          "suzhou": "'js' == province"}  # fmt: skip
    offered = [o.code for o in q.item("city").options if o.relevant and o.relevant.test(
        {"province": "js"})]  # fmt: skip
    assert offered == ["suzhou"]


def test_option_conditions_round_trip_through_pyxform(tmp_path: Path) -> None:
    original = load_questionnaire(FEATURES)
    path = tmp_path / "features.xlsx"
    write_xlsform(original, path)
    xform = convert(xlsform=str(path), warnings=[]).xform
    assert "name = 'paper' and" in xform.replace("&apos;", "'")  # ODK filters the choices
    back = import_xlsform(path).questionnaire
    assert comparable(back.item("channels")) == comparable(original.item("channels"))
    assert back.item("channels").option("paper").relevant is not None  # type: ignore[union-attr]
