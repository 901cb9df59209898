"""The two kinds of failure: the user's (bad input or config) and ours (a bug).

A `UserError` is shown as one plain line and exits with code 2; anything else is a bug
and keeps its traceback.
"""


class UserError(Exception):
    """Bad input or configuration: the message says what is wrong, where, and how to fix it."""

    exit_code = 2
