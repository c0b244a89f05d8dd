"""Turning parser errors into task errors that keep their message."""

from pulpcore.plugin.exceptions import SyncError


def parse_or_fail(function, *args):
    """
    Run a pure parser from `app.formats`; its ValueError fails the sync with the same message.

    The parsers' messages name the file and the problem; pulpcore records a SyncError's message
    on the task, where it would replace an arbitrary exception with "An internal error occurred".
    """
    try:
        return function(*args)
    except ValueError as exc:
        raise SyncError(str(exc)) from exc
