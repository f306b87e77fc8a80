"""firmware_config."""
