"""hub/api."""
