"""hub/rules."""
