"""The phrase lists in YAML: their pattern syntax, validation with paths, and the module layout they feed."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from hub.rules.analysis import Lexicon, LexiconError, analyze
from hub.rules.analysis.grammar import Grammar, GrammarError
from hub.rules.analysis.phrases import compile_phrases, expand


def test_phrase_patterns_alternatives_optional_parts_and_gaps() -> None:
    pattern = compile_phrases(["{什么时候|几天}…{交货|发货}", "有{一|}家厂"])
    assert [m.group(0) for m in (pattern.search("他们几天能发货"), pattern.search("台州有家厂")) if m] == [
        "几天能发货",
        "有家厂",
    ]
    assert pattern.search("什么时候来厂里") is None
    assert expand("{核|算}{个|}价") == ["核个价", "核价", "算个价", "算价"]
    assert expand("{什么时候}…交货") == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "grammar: expected a mapping"),
        ({"joins": "然后"}, "joins: expected a list"),
        ({"negation": {"before": ["不用", ""]}}, "negation.before[1]: expected a non-empty string"),
        ({"negation": {"reach": -1}}, "negation.reach: expected a non-negative integer"),
        ({"competitor": {"phrases": ["{隔壁|那家"]}}, "competitor.phrases: unbalanced braces in '{隔壁|那家'"),
    ],
)
def test_bad_grammar_names_the_path(data: object, message: str) -> None:
    with pytest.raises(GrammarError) as raised:
        Grammar.from_data(data)
    assert str(raised.value) == message


def test_bad_grammar_or_signal_pattern_is_a_lexicon_error_with_its_path() -> None:
    with pytest.raises(LexiconError, match=r"grammar\.joins: expected a list"):
        Lexicon.from_data({}, {}, [], {"joins": 3})
    with pytest.raises(LexiconError, match=r"signals\.quote\[0\]: unbalanced braces"):
        Lexicon.from_data({}, {"quote": ["报{价"]}, [])


def test_a_plant_can_add_a_negation_cue_and_a_competitor(context) -> None:
    from hub.rules.analysis.context import _seed

    grammar = _seed("grammar.yaml")
    grammar["negation"]["after"].append("往后押")
    grammar["competitor"]["phrases"].append("老张那边")
    lexicon = Lexicon.from_data(_seed("lexicon.yaml"), _seed("signals.yaml"), _seed("grades.yaml"), grammar)
    result = analyze("报价 往后押 老张 那边 也 在 做", lexicon).to_dict()
    assert [(s["name"], s.get("negated", False)) for s in result["signals"]] == [
        ("quote", True),
        ("competitor", False),
    ]
    before = analyze("报价 往后押", context.lexicon).to_dict()
    assert [s.get("negated", False) for s in before["signals"]] == [False]


def _imports(module: str) -> set[str]:
    tree = ast.parse(Path(importlib.util.find_spec(module).origin).read_text())  # type: ignore[arg-type,union-attr]
    return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}


def test_lexicon_and_materials_do_not_import_each_other() -> None:
    assert "hub.rules.analysis.lexicon" not in _imports("hub.rules.analysis.materials")
    assert "hub.rules.analysis.materials" in _imports("hub.rules.analysis.lexicon")
