"""The one interface catalogue: parts, languages, one lookup, AAPOR names in one place."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

import kesu.i18n as i18n
from kesu.i18n import CATALOGUE
from kesu.i18n import LANGUAGES
from kesu.i18n import PARTS
from kesu.i18n import check_parts
from kesu.i18n import code_label
from kesu.i18n import tr
from kesu.strings.outcomes import CATEGORY_LABELS
from kesu.strings.outcomes import DISPOSITION_LABELS
from sampling.outcomes import CATEGORIES
from sampling.outcomes import DISPOSITIONS
from sampling.outcomes import aapor_category

ROOT = Path(__file__).parent.parent.parent


@pytest.mark.parametrize("name", sorted(PARTS))
def test_every_part_has_the_same_keys_in_every_language(name: str) -> None:
    table = PARTS[name].STRINGS
    assert tuple(table) == LANGUAGES
    keys = set(table[LANGUAGES[0]])
    assert keys
    for lang in LANGUAGES:
        assert set(table[lang]) == keys, lang
        assert all(table[lang].values()), lang


def test_no_text_is_written_twice_over() -> None:
    for lang in LANGUAGES:
        for key, text in CATALOGUE[lang].items():
            half = len(text) // 2
            assert len(text) < 8 or text[:half] != text[half:], (lang, key)


def test_no_key_is_defined_in_two_parts() -> None:
    seen: dict[str, str] = {}
    for name, part in PARTS.items():
        for key in part.STRINGS[LANGUAGES[0]]:
            assert key not in seen, f"{key} in {seen[key]} and {name}"
            seen[key] = name
    assert len(seen) == len(CATALOGUE[LANGUAGES[0]])


def test_the_check_names_a_duplicate_and_a_missing_translation() -> None:
    a = types.ModuleType("a")
    a.STRINGS = {"zh-CN": {"x": "甲", "y": "乙"}, "en": {"x": "A"}}  # type: ignore[attr-defined]
    b = types.ModuleType("b")
    b.STRINGS = {"zh-CN": {"x": "丙"}, "en": {"x": "C"}}  # type: ignore[attr-defined]
    problems = check_parts({"a": a, "b": b})
    assert "part a: key 'y' not in every language" in problems
    assert "key 'x' is defined in part a and part b" in problems


def test_one_lookup_language_first_unknown_language_is_chinese() -> None:
    assert tr("en", "footer", page=2, pages=9) == "Page 2 of 9"
    assert tr("fr", "footer", page=1, pages=2) == "第 1 页 / 共 2 页"
    with pytest.raises(KeyError):
        tr("en", "no-such-key")


def test_the_old_lookups_are_gone() -> None:
    """One lookup: no ``translate(key, lang)`` beside ``tr(lang, key)``, no second catalogue."""
    assert not hasattr(i18n, "translate")
    assert not (ROOT / "reports" / "i18n.py").exists()
    assert not (ROOT / "survey" / "i18n.py").exists()
    sources = [p for pkg in ("survey", "reports", "sampling", "scoring", "kesu") for p in
               (ROOT / pkg).rglob("*.py")]  # fmt: skip
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?<!\.)\btranslate\(", text), path  # bytes.translate is fine
        assert "reports.i18n" not in text, path


def test_aapor_names_are_defined_once_and_shared_by_monitor_and_pdf() -> None:
    assert tuple(CATEGORY_LABELS) == CATEGORIES
    assert DISPOSITIONS is DISPOSITION_LABELS
    for code in DISPOSITIONS:
        assert aapor_category(code) in CATEGORIES
    # the monitor (code_label) and the PDF (Labels.t -> tr) read the same key
    assert code_label("aapor", "R") == tr("zh-CN", "aapor_R") == "拒访与中途退出"
    assert code_label("aapor", "R", "en") == "Refusal and break-off"
    assert code_label("disposition", "2.24", "en") == "No one at residence"
    texts = [t for lang in LANGUAGES for t in CATALOGUE[lang].values()]
    assert "拒访和中断" not in "".join(texts)
    # no AAPOR category name is typed a second time anywhere in the sources
    names = [zh for _, zh, _ in CATEGORY_LABELS.values() if len(zh) > 3]
    for path in (ROOT / "survey").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not any(n in text for n in names), path
