"""IndexHolder: the reference a service keeps to its live index, swapped in one assignment.

A rebuild builds a complete new SearchIndex beside the live one and then swaps; searches that
already took `current` finish on the old index (its files stay until it is closed or collected),
new ones see the new index, and at no moment is there an empty or half-built index to search.
"""

from __future__ import annotations

import threading

from shared.search.engine.index import SearchIndex


class IndexHolder:
    def __init__(self, index: SearchIndex):
        self._index = index
        self._lock = threading.Lock()

    @property
    def current(self) -> SearchIndex:
        return self._index

    def swap(self, new: SearchIndex) -> SearchIndex:
        """Make `new` live; returns the old index (close it once in-flight searches are done)."""
        with self._lock:
            old, self._index = self._index, new
        return old
