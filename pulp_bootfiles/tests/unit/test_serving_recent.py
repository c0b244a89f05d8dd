"""Recent: least recently used entries go first; an entry expires after the mapping's age
limit, or after its own when it was put with one."""

from pulp_bootfiles.app.serving.recent import Recent


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def test_the_least_recently_used_entry_goes_first():
    recent = Recent(2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1  # "b" is now the least recently used
    recent.put("c", 3)
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (1, None, 3)


def test_entries_expire_after_the_mappings_limit_or_their_own():
    clock = Clock()
    recent = Recent(8, seconds=10, clock=clock)
    recent.put("shared", 1)
    recent.put("own", 2, seconds=3)
    clock.now += 3
    assert (recent.get("shared"), recent.get("own")) == (1, 2)
    clock.now += 0.5
    assert (recent.get("shared"), recent.get("own")) == (1, None)
    clock.now += 7
    assert recent.get("shared") is None


def test_without_a_limit_nothing_expires():
    clock = Clock()
    recent = Recent(8, clock=clock)
    recent.put("kept", 1)
    clock.now += 10**9
    assert recent.get("kept") == 1
