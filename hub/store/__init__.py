"""hub/store."""
