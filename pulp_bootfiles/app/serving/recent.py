"""A small thread-safe LRU mapping for the per-process caches of the serving path."""

import threading
import time
from collections import OrderedDict


class Recent:
    """A small thread-safe LRU mapping, with an optional age limit: for every entry
    (`seconds`), or for one (`put(..., seconds=)`)."""

    def __init__(self, size: int, seconds: float | None = None, clock=time.monotonic):
        self._size, self._seconds, self._clock = size, seconds, clock
        self._lock, self._items = threading.Lock(), OrderedDict()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            value, deadline = item
            if deadline is not None and self._clock() > deadline:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return value

    def put(self, key, value, seconds: float | None = None):
        """Keep `value` under `key`, for `seconds` if given, else for the mapping's age limit."""
        seconds = self._seconds if seconds is None else seconds
        deadline = None if seconds is None else self._clock() + seconds
        with self._lock:
            self._items[key] = (value, deadline)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def get_or_build(self, key, build):
        """The value kept under `key`, else `build()`'s, kept from now on (None is not kept)."""
        value = self.get(key)
        if value is None:
            value = build()
            if value is not None:
                self.put(key, value)
        return value
