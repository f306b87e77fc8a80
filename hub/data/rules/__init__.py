"""Packaged rule sets."""
