"""Validation: every error names file, line and column; the shipped default rules are valid."""

from __future__ import annotations

import pytest

from hub.rules.engine import RulesInvalid, default_rules_path, parse_rules, validate_rules


def one_rule(when: str, then: str = "[{tag: t}]") -> str:
    return f"rules:\n  - name: x\n    when: {when}\n    then: {then}\n"


def places(text: str) -> list[tuple[int, int, str]]:
    return [(e.line, e.column, e.message) for e in validate_rules(text, "rules.yaml")]


def test_default_rules_parse_with_the_five_shipped_rules() -> None:
    rule_set = parse_rules(default_rules_path().read_text(encoding="utf-8"), "default.yaml")
    tags = {spec.value for rule in rule_set.rules for spec in rule.then if spec.kind == "tag"}
    assert tags == {"注塑工艺兴趣", "热处理需求"}
    assert {spec.kind for rule in rule_set.rules for spec in rule.then} >= {"opportunity", "notify", "escalate"}
    assert any(rule.when.no_followup and rule.when.no_followup.within_hours == 2 for rule in rule_set.rules)


def test_chinese_keys_are_the_same_as_english() -> None:
    body = " {signal: quote}\n    {}: [{notify: sales}]\n    {}: [{tag: x}]\n"
    chinese = parse_rules("规则:\n  - 名称: a\n    当:" + body.replace("{}", "就", 1).replace("{}", "否则", 1))
    english = parse_rules("rules:\n  - name: a\n    when:" + body.replace("{}", "then", 1).replace("{}", "else", 1))
    assert len(chinese.rules) == 1 and chinese.rules[0].otherwise
    assert chinese.rules == english.rules


def test_every_error_has_its_line_and_column() -> None:
    text = (
        "rules:\n"
        "  - name: one\n"
        "    when:\n"
        "      dwell: {zone: injection, min_minutes: lots}\n"
        "      colour: red\n"
        "    then:\n"
        "      - tag: ok\n"
        "      - shout: loud\n"
        "  - name: one\n"
        "    when: {event: visit}\n"
        "    then: [{notify: sales, template: 7}]\n"
    )
    errors = places(text)
    assert (4, 45, "rule 'one'.when.dwell.min_minutes: expected a number") in errors
    assert any(line == 5 and col == 7 and "unknown key 'colour'" in msg for line, col, msg in errors)
    assert any(line == 8 and col == 9 and "unknown key 'shout'" in msg for line, col, msg in errors)
    assert any(line == 9 and col == 11 and "name used by another rule" in msg for line, col, msg in errors)
    assert any(line == 10 and col == 19 and "expected tap or note, got 'visit'" in msg for line, col, msg in errors)
    assert any(line == 11 and col == 38 and "template: expected non-empty text" in msg for line, col, msg in errors)
    assert len(errors) == 6
    assert all(e.file == "rules.yaml" for e in validate_rules(text, "rules.yaml"))


def test_yaml_syntax_errors_and_bad_shapes_are_reported_not_raised() -> None:
    assert places("rules:\n  - name: [unclosed\n")[0][:1] == (3,)
    assert places("") == [(1, 1, "empty rules file: expected 'rules:' with a list of rules")]
    assert "expected a list of rules" in places("rules: 5\n")[0][2]
    missing = places("rules:\n  - name: x\n")
    assert [m for _l, _c, m in missing] == ["rules[0]: missing 'when'", "rules[0]: missing 'then'"]
    conflict = places(one_rule("{event: tap, dwell: {zone: a, min_minutes: 1}, signal: quote}"))
    assert any("need event: note" in m for _l, _c, m in conflict)
    assert places(one_rule("{visitor: {registered: maybe}}"))[0][2].endswith("registered: expected true or false")
    count = places(one_rule("{count: {of: leads, over_hours: 0, more_than: 1.5}}", "[{hold: h}]"))
    assert [m.split(": ", 1)[1] for _l, _c, m in count] == [
        "expected one of new_leads, notes, opportunities, got 'leads'", "must be > 0", "expected a whole number ≥ 0"
    ]  # fmt: skip
    with pytest.raises(RulesInvalid) as raised:
        parse_rules(one_rule("{param: {scale: HRC}}"), "f.yaml")
    assert str(raised.value) == "f.yaml:3:19: rule 'x'.when.param: needs kind (e.g. hardness)"


def test_control_character_is_a_located_error_not_a_crash() -> None:
    with pytest.raises(RulesInvalid) as err:
        parse_rules("rules:\n  - name: x\x7f\n", "r.yaml")
    (error,) = err.value.errors
    assert (error.file, error.line, error.column) == ("r.yaml", 2, 12)
    assert "invalid YAML" in error.message
