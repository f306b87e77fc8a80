"""hub/ingest."""
