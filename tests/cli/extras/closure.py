"""Which installed top-level modules an install of the project with one extra would not have."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"
OWN_MODULES = {"protocol", "edge", "hub", "firmware_config", "tourtrace"}
VENV_TOOLING = {"pip", "setuptools", "pkg_resources", "_distutils_hack"}  # every venv has them


def _closure(requirements: list[Requirement]) -> set[str]:
    """Return the canonical names of the distributions these requirements pull in, transitively."""
    seen: set[str] = set()
    todo = list(requirements)
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        extras = set(requirement.extras) | {""}
        for text in dist.requires or []:
            child = Requirement(text)
            if child.marker is None or any(child.marker.evaluate({"extra": extra}) for extra in extras):
                todo.append(child)
    return seen


def modules_missing_without(extra: str) -> list[str]:
    """Return the installed top-level modules that `pip install '.[extra]'` alone would not install."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    wanted = [Requirement(text) for text in [*project["dependencies"], *project["optional-dependencies"][extra]]]
    allowed = _closure(wanted)
    missing = []
    for module, dists in metadata.packages_distributions().items():
        if module in OWN_MODULES | VENV_TOOLING or not module.isidentifier():
            continue
        if not any(canonicalize_name(dist) in allowed for dist in dists):
            missing.append(module)
    return sorted(missing)
