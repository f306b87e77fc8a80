"""The rules language: YAML when/then/else (当/就/否则) rules, pure evaluation, idempotent application."""

from hub.rules.engine.engine import RulesEngine, default_rules_path
from hub.rules.engine.evaluate import evaluate
from hub.rules.engine.model import Action, Context, EventFacts, RuleError, RuleSet
from hub.rules.engine.parse import RulesInvalid, parse_rules, validate_rules

__all__ = [
    "Action",
    "Context",
    "EventFacts",
    "RuleError",
    "RuleSet",
    "RulesEngine",
    "RulesInvalid",
    "default_rules_path",
    "evaluate",
    "parse_rules",
    "validate_rules",
]
