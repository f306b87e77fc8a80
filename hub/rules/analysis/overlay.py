"""Merge a plant's analysis data (a folder of YAML files) over the shipped lexicon, signals, grammar and grades.

A plant file adds to the shipped one: mappings merge key by key, lists gain the plant's entries, scalars are
replaced; `{replace: [...]}` in place of a list replaces that list. Grades are matched by `grade`: a plant
entry for a shipped grade replaces it, others are added.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

DATA_FILES = ("lexicon", "signals", "grades", "grammar")


class OverlayError(ValueError):
    """A plant data file is unreadable or does not fit the shipped data; the message names file and path."""


def shipped_data() -> dict[str, Any]:
    """Return the shipped documents by name (lexicon, signals, grades, grammar)."""
    folder = resources.files("hub.data")
    return {n: yaml.safe_load(folder.joinpath(f"{n}.yaml").read_text(encoding="utf-8")) for n in DATA_FILES}


def read_yaml(path: Path) -> Any:
    """Read one YAML file, turning IO and syntax errors into OverlayError naming the file."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OverlayError(f"{path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise OverlayError(f"{path}: invalid YAML: {exc}") from None


def _where(path: str) -> str:
    return path or "top level"


def _replacement(value: Any) -> list[Any] | None:
    """The list of a `{replace: [...]}` entry, else None."""
    if isinstance(value, dict) and set(value) == {"replace"} and isinstance(value["replace"], list):
        return list(value["replace"])
    return None


def merge(base: Any, plant: Any, path: str = "") -> Any:
    """Return plant merged over base; raise OverlayError (with the path) where their shapes differ."""
    if plant is None:
        return base
    replaced = _replacement(plant)
    if isinstance(base, list):
        if replaced is not None:
            return replaced
        if not isinstance(plant, list):
            raise OverlayError(f"{_where(path)}: expected a list (or {{replace: [...]}})")
        return base + [item for item in plant if item not in base]
    if isinstance(base, dict):
        if not isinstance(plant, dict):
            raise OverlayError(f"{_where(path)}: expected a mapping")
        merged = dict(base)
        for key, value in plant.items():
            where = f"{path}.{key}" if path else str(key)
            if key in base:
                merged[key] = merge(base[key], value, where)
            else:
                merged[key] = replaced_or(value)
        return merged
    if isinstance(plant, dict | list):
        raise OverlayError(f"{_where(path)}: expected a single value, not a {type(plant).__name__}")
    return plant


def replaced_or(value: Any) -> Any:
    """A new key's value: the list of a `{replace: [...]}` entry, or the value itself."""
    replaced = _replacement(value)
    return value if replaced is None else replaced


def merge_grades(base: list[Any], plant: Any) -> list[Any]:
    """Return the grade list with plant entries replacing shipped ones of the same `grade` and adding the rest."""
    replaced = _replacement(plant)
    if replaced is not None:
        return replaced
    if not isinstance(plant, list):
        raise OverlayError("top level: expected a list of grades (or {replace: [...]})")
    merged = list(base)
    for i, entry in enumerate(plant):
        if not isinstance(entry, dict) or "grade" not in entry:
            raise OverlayError(f"[{i}]: expected a mapping with `grade`")
        same = [j for j, old in enumerate(merged) if isinstance(old, dict) and old.get("grade") == entry["grade"]]
        if same:
            merged[same[0]] = entry
        else:
            merged.append(entry)
    return merged


def plant_files(folder: Path) -> dict[str, Path]:
    """Return the plant's data files by name; raise OverlayError for a missing folder or an unknown file."""
    if not folder.is_dir():
        raise OverlayError(f"{folder}: not a folder")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".yaml", ".yml"):
            continue
        if path.stem not in DATA_FILES:
            names = ", ".join(f"{n}.yaml" for n in DATA_FILES)
            raise OverlayError(f"{path}: unknown analysis data file (expected one of {names})")
        if path.stem in found:
            raise OverlayError(f"{path}: {found[path.stem].name} is given too")
        found[path.stem] = path
    return found


def merged_data(folder: Path | None) -> tuple[dict[str, Any], dict[str, Path]]:
    """Return the shipped documents with the folder's files merged over them, and the plant files used."""
    data = shipped_data()
    files = {} if folder is None else plant_files(folder)
    for name, path in files.items():
        plant = read_yaml(path)
        try:
            data[name] = merge_grades(data[name], plant) if name == "grades" else merge(data[name], plant)
        except OverlayError as exc:
            raise OverlayError(f"{path}: {exc}") from None
    return data, files


def data_revision(data: dict[str, Any]) -> str:
    """A short hash of the analysis data in use (shipped and plant files merged)."""
    blob = json.dumps([data[n] for n in DATA_FILES], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:8]
