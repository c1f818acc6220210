"""Errors a user can act on.

Every failure that comes from bad input (an empty file, a binary file, a missing pack...) is raised as an
:class:`UnspinError` whose message is one line; the CLI prints it on stderr and exits non-zero without a
traceback.
"""


class UnspinError(Exception):
    """A problem with the input or the environment, explained in one line."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class InputError(UnspinError):
    """The input text or page cannot be checked (empty, binary, undecodable, too large, not English)."""

    exit_code = 3


class PackError(UnspinError):
    """The model pack is missing, incomplete or corrupt."""

    exit_code = 4
