"""The answer cache: answers to single questions (no history), serialised once and kept in an LRU."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerJSON:
    """An answer serialised once: its intent (for metrics) and the JSON of AnswerOut, ready to send."""

    intent: str
    body: bytes


class AnswerCache:
    """A thread-safe LRU of serialised answers, by normalised question."""

    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict[str, AnswerJSON] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> AnswerJSON | None:
        """The cached answer, marked as recently used; None on a miss."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: str, value: AnswerJSON) -> None:
        """Keep an answer, forgetting the least recently used past `size`."""
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
