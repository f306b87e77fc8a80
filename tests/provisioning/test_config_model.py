"""tourtrace.config_model: pydantic errors become the 'path: message' lines the CLI has always printed."""

from __future__ import annotations

import pytest
from pydantic import Field

from tourtrace.config_model import ConfigError, Settings, validate_settings


class Station(Settings):
    zone: str
    debounce_s: float = Field(2.0, ge=0)
    words: tuple[str, ...] = Field((), strict=False)


class Plant(Settings):
    stations: list[Station] = Field(default_factory=list, strict=False)
    retries: int = Field(3, gt=0)

    def problems(self) -> list[str]:
        zones = [s.zone for s in self.stations]
        return [f"stations[{i}].zone: {z!r} is taken" for i, z in enumerate(zones) if z in zones[:i]]


def errors(obj: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate_settings(Plant, obj, "plant.yaml")
    assert str(caught.value).startswith("plant.yaml: ")
    return caught.value.errors


def test_paths_and_messages() -> None:
    assert errors({"stations": [{"zone": "a"}, {"zone": "b"}, {}]}) == ["stations[2].zone: required"]
    assert errors({"stations": [{"zone": 1, "debounce_s": -1.5, "words": ["x", 2, 3]}], "retries": True, 7: 0}) == [
        "stations[0].zone: expected str, got int",
        "stations[0].debounce_s: must be >= 0, got -1.5",
        "stations[0].words: expected a list of words (strings)",
        "retries: expected int, got bool",
        "7: unknown setting",
    ]
    assert errors(["not", "a", "mapping"]) == ["top level: expected mapping, got list"]
    assert errors({"stations": "a"}) == ["stations: expected list, got str"]


def test_null_means_default_and_problems_come_after_the_fields() -> None:
    assert validate_settings(Plant, {"retries": None, "stations": None}, "plant.yaml") == Plant()
    assert errors({"stations": [{"zone": "a"}, {"zone": "a"}]}) == ["stations[1].zone: 'a' is taken"]
