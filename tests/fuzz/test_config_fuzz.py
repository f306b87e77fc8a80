"""Station config fuzz: parse_config accepts or raises ConfigError whose every message starts with its path."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.agent.config import ConfigError, StationConfig, parse_config

SCALARS = st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False) | st.text(max_size=12)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
TOP = [*StationConfig.model_fields, "unknown_key"]
SECTIONS = {
    "broker": ["url", "username", "password_file", "ca_file", "keepalive_s", "bogus"],
    "outbox": ["max_events", "max_age_days", "bogus"],
    "note": ["max_s", "silence_ms", "vocabulary", "grammar", "lang", "beam", "bogus"],
    "feedback": ["backend", "buzzer_pin", "led_pin", "bogus"],
}
GOOD = {"site": "s1", "station": "gate-a", "zone": "injection", "data_dir": "/tmp/x"}


def _section(name: str) -> st.SearchStrategy[Any]:
    return st.dictionaries(st.sampled_from(SECTIONS[name]), VALUES, max_size=4) | VALUES


configs = st.fixed_dictionaries(
    {},
    optional={key: (_section(key) if key in SECTIONS else VALUES) for key in TOP},
)


def _paths(obj: object) -> set[str]:
    """Return every setting path an error about obj may name."""
    paths = {"top level", *TOP, *(str(key) for key in (obj if isinstance(obj, dict) else ()))}
    for section, fields in SECTIONS.items():
        paths.update(f"{section}.{name}" for name in fields)
        value = obj.get(section) if isinstance(obj, dict) else None
        if isinstance(value, dict):
            paths.update(f"{section}.{key}" for key in value)
    return paths


def _check(obj: object) -> None:
    try:
        parse_config(obj, "station.yaml")
    except ConfigError as exc:
        assert exc.errors, "ConfigError without errors"
        paths = _paths(obj)
        for error in exc.errors:
            assert any(error.startswith(f"{path}: ") for path in paths), f"error without a setting path: {error!r}"


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs)
def test_random_configs_give_only_path_prefixed_config_errors(config: dict[str, Any]) -> None:
    _check(config)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs)
def test_random_settings_on_a_valid_base_give_only_path_prefixed_config_errors(config: dict[str, Any]) -> None:
    _check({**GOOD, **config})


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(obj=VALUES)
def test_non_mapping_documents_are_a_config_error(obj: object) -> None:
    _check(obj)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(obj=st.dictionaries(st.integers() | st.booleans() | st.text(max_size=6), SCALARS, max_size=4))
def test_yaml_documents_with_non_string_keys_are_a_config_error(obj: dict[Any, Any]) -> None:
    _check({**GOOD, **obj})


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    section=st.sampled_from(sorted(SECTIONS)),
    obj=st.dictionaries(st.integers() | st.text(max_size=6), SCALARS, max_size=4),
)
def test_sections_with_non_string_keys_are_a_config_error(section: str, obj: dict[Any, Any]) -> None:
    _check({**GOOD, section: obj})
