"""Load what analysis needs — lexicon and library — from the shipped data, a plant's data folder, or files."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hub.rules.analysis import overlay
from hub.rules.analysis.lexicon import Lexicon, LexiconError
from hub.rules.analysis.library import Library
from hub.rules.analysis.overlay import OverlayError, data_revision, merged_data

# Bump whenever the analysis code gives a different result for the same text and data: stored analyses carry it
# in their revision, and a hub that starts with another one recomputes them.
ANALYSIS_VERSION = 2


class ContextError(ValueError):
    """A lexicon, data or library file cannot be read; the message names the file."""


@dataclass(frozen=True)
class AnalysisContext:
    """The lexicon and (optionally) the library that `analyze` runs against; data_revision hashes the data."""

    lexicon: Lexicon
    library: Library | None
    data_revision: str = ""


def _seed(name: str) -> Any:
    return yaml.safe_load(resources.files("hub.data").joinpath(name).read_text(encoding="utf-8"))


def read_yaml(path: Path) -> Any:
    """Read one YAML file, turning IO and syntax errors into ContextError."""
    try:
        return overlay.read_yaml(path)
    except OverlayError as exc:
        raise ContextError(str(exc)) from None


def default_lexicon() -> Lexicon:
    """Return the shipped lexicon, signals and grades."""
    return Lexicon.from_data(_seed("lexicon.yaml"), _seed("signals.yaml"), _seed("grades.yaml"), _seed("grammar.yaml"))


def default_library() -> Library:
    """Return the sample plant's library and stock."""
    return Library.from_dict(_seed("library.yaml"))


@lru_cache(maxsize=8)
def load_lexicon(analysis_dir: Path | None = None) -> tuple[Lexicon, str]:
    """Return the lexicon of the shipped data with a plant folder's files merged over it, and the data revision.

    Raise ContextError naming the plant file and the path inside it on any problem.
    """
    try:
        data, files = merged_data(analysis_dir)
    except OverlayError as exc:
        raise ContextError(str(exc)) from None
    try:
        lexicon = Lexicon.from_data(data["lexicon"], data["signals"], data["grades"], data["grammar"])
    except LexiconError as exc:
        message = str(exc)
        name = next((n for n in ("signals", "grades", "grammar") if message.startswith(n)), "lexicon")
        raise ContextError(f"{files[name]}: {message}" if name in files else message) from None
    return lexicon, data_revision(data)


@lru_cache(maxsize=1)
def load_default_context() -> AnalysisContext:
    """Return the seed lexicon and library (cached: both are immutable)."""
    lexicon, revision = load_lexicon(None)
    return AnalysisContext(lexicon, default_library(), revision)


def load_context(library_file: Path | None = None, analysis_dir: Path | None = None) -> AnalysisContext:
    """Return the seed context with the library replaced by a file and/or the plant's data folder merged in."""
    base = load_default_context()
    lexicon, revision = base.lexicon, base.data_revision
    if analysis_dir is not None:
        lexicon, revision = load_lexicon(Path(analysis_dir))
    library = base.library
    if library_file is not None:
        try:
            library = Library.from_dict(read_yaml(library_file))
        except ValueError as exc:
            raise ContextError(f"{library_file}: {exc}") from None
    return AnalysisContext(lexicon, library, revision)
