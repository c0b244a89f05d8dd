"""A small thread-safe LRU mapping for the per-process caches of the serving path."""

import threading
import time
from collections import OrderedDict


class Recent:
    """A small thread-safe LRU mapping, with an optional age limit."""

    def __init__(self, size: int, seconds: float | None = None):
        self._size, self._seconds = size, seconds
        self._lock, self._items = threading.Lock(), OrderedDict()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            value, born = item
            if self._seconds is not None and time.monotonic() - born > self._seconds:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return value

    def put(self, key, value):
        with self._lock:
            self._items[key] = (value, time.monotonic())
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
