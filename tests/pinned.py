"""The installed version of a library whose internals we use must be inside the range pyproject pins."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def pinned(distribution: str) -> Requirement:
    """Return pyproject's requirement for a distribution (from the dependencies or any extra)."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    lines = [*project["dependencies"], *(d for extra in project["optional-dependencies"].values() for d in extra)]
    for line in lines:
        requirement = Requirement(line)
        if requirement.name == distribution:
            return requirement
    raise LookupError(f"{distribution} is not in pyproject.toml")


def assert_installed_within_pin(distribution: str) -> None:
    requirement = pinned(distribution)
    assert requirement.specifier, f"{distribution} must be pinned to a range: its internals are used"
    installed = version(distribution)
    assert requirement.specifier.contains(installed), f"{distribution} {installed} is outside {requirement}"
