"""hub/web."""
