"""Errors of the wire contract."""


class ContractError(ValueError):
    """A message breaks wire contract v1; the text names the field path and what was expected."""
