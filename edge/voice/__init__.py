"""edge/voice."""
