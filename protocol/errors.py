"""Errors of the wire contract."""

from __future__ import annotations


class ContractError(ValueError):
    """A message breaks wire contract v1; the text names the field path and what was expected.

    `problems` lists every problem found when a reader checks all fields (a config pushed through the API);
    otherwise it is the one message."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems or (message,)
