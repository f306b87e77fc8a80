"""edge/nfc_reader."""
