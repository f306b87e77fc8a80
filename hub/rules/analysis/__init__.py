"""Note analysis: raw dialect Vosk text → normalized text, process params, signals, lookups, warnings."""

from hub.rules.analysis.context import (
    ANALYSIS_VERSION,
    AnalysisContext,
    ContextError,
    default_lexicon,
    default_library,
    load_context,
    load_default_context,
    load_lexicon,
)
from hub.rules.analysis.lexicon import Lexicon, LexiconError
from hub.rules.analysis.model import Analysis, Lookup, Notice, Param, Signal
from hub.rules.analysis.pipeline import analyze

__all__ = [
    "ANALYSIS_VERSION",
    "Analysis",
    "AnalysisContext",
    "ContextError",
    "Lexicon",
    "LexiconError",
    "Lookup",
    "Notice",
    "Param",
    "Signal",
    "analyze",
    "default_lexicon",
    "default_library",
    "load_context",
    "load_default_context",
    "load_lexicon",
]
