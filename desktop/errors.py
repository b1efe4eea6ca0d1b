"""Errors the core raises; the command line maps them to exit codes (contract.md)."""


class InputError(Exception):
    """Bad input or usage: exit 2, nothing written. Holds one Chinese message per problem."""

    exit_code = 2

    def __init__(self, messages):
        if isinstance(messages, str):
            messages = [messages]
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


class Refused(Exception):
    """An operation refused or failed (wrong credential, bundle rejected, file too new): exit 1."""

    exit_code = 1

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class PermissionDenied(Refused):
    """The signed-in user's role does not allow the operation."""
