"""Load what analysis needs — lexicon and library — from the shipped seed data or from files."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hub.rules.analysis.lexicon import Lexicon
from hub.rules.analysis.library import Library


class ContextError(ValueError):
    """A lexicon or library file cannot be read; the message names the file."""


@dataclass(frozen=True)
class AnalysisContext:
    """The lexicon and (optionally) the library that `analyze` runs against."""

    lexicon: Lexicon
    library: Library | None


def _seed(name: str) -> Any:
    return yaml.safe_load(resources.files("hub.data").joinpath(name).read_text(encoding="utf-8"))


def read_yaml(path: Path) -> Any:
    """Read one YAML file, turning IO and syntax errors into ContextError."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContextError(f"{path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ContextError(f"{path}: invalid YAML: {exc}") from None


def default_lexicon() -> Lexicon:
    """Return the shipped lexicon, signals and grades."""
    return Lexicon.from_data(_seed("lexicon.yaml"), _seed("signals.yaml"), _seed("grades.yaml"), _seed("grammar.yaml"))


def default_library() -> Library:
    """Return the sample plant's library and stock."""
    return Library.from_dict(_seed("library.yaml"))


@lru_cache(maxsize=1)
def load_default_context() -> AnalysisContext:
    """Return the seed lexicon and library (cached: both are immutable)."""
    return AnalysisContext(default_lexicon(), default_library())


def load_context(library_file: Path | None = None, signals_file: Path | None = None) -> AnalysisContext:
    """Return the seed context with the library and/or signal lists replaced by files."""
    base = load_default_context()
    lexicon = base.lexicon
    if signals_file is not None:
        lexicon = Lexicon.from_data(
            _seed("lexicon.yaml"), read_yaml(signals_file), _seed("grades.yaml"), _seed("grammar.yaml")
        )
    library = base.library
    if library_file is not None:
        try:
            library = Library.from_dict(read_yaml(library_file))
        except ValueError as exc:
            raise ContextError(f"{library_file}: {exc}") from None
    return AnalysisContext(lexicon, library)
