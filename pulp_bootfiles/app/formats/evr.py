"""rpm's order of package versions: compare two (epoch, version, release) tuples."""

from rpm_vercmp import vercmp


def compare_evr(first: tuple, second: tuple) -> int:
    """rpm's order of two (epoch, version, release) tuples: -1, 0 or 1."""
    if first[0] != second[0]:
        return -1 if first[0] < second[0] else 1
    return _rpmvercmp(first[1], second[1]) or _rpmvercmp(first[2], second[2])


def _rpmvercmp(first, second):
    """
    rpm_vercmp.vercmp, plus rpm 4.15's "^": rpm_vercmp predates it and takes "^" for a separator.

    "1.0^git1" sorts after "1.0" (the string ends where the other has "^") and before "1.0.1"
    (anything else follows where the other has "^"); after two carets the comparison goes on.
    """
    first_base, first_caret, first_rest = first.partition("^")
    second_base, second_caret, second_rest = second.partition("^")
    result = vercmp(first_base, second_base)
    if result or not (first_caret or second_caret):
        return result
    if first_caret and second_caret:
        return _rpmvercmp(first_rest, second_rest)
    return 1 if first_caret else -1
