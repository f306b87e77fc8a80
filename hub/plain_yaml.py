"""YAML as plain data from untrusted text: no anchors or aliases (a 300-byte "billion laughs" expands to hundreds
of megabytes when parsed), no tags beyond safe_load's, and a bounded nesting depth."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent

MAX_DEPTH = 64


class PlainYamlError(yaml.YAMLError):
    """The text is not plain YAML data (bad YAML, an alias, nesting too deep)."""


class _PlainLoader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            mark = event.start_mark
            raise PlainYamlError(f"line {mark.line + 1}: aliases (*{event.anchor}) are not accepted")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise PlainYamlError(f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_plain_yaml(text: str) -> Any:
    """Parse YAML text into plain data; raise yaml.YAMLError (PlainYamlError for an alias or deep nesting)."""
    loader = _PlainLoader(text)
    try:
        return loader.get_single_data()
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise PlainYamlError(str(exc)) from None
    finally:
        loader.dispose()
