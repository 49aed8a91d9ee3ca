"""A bounded memo: values by key, the least recently used dropped past a size. What the
grader works out once and meets again (trials and reference values per seed, what is
made of a Python file, written answers shared in a class) is kept in one."""
from __future__ import annotations

import collections
from typing import Any, Callable, Hashable, Optional


class Memo:
    """At most `size` values by key; `keep` (with `get`) holds the objects whose id() is
    in the key, so an id cannot be reused while its entry lives."""

    def __init__(self, size: int):
        self.size, self.data = size, collections.OrderedDict()

    def get(self, key: Hashable, make: Callable[[], Any], keep: Any = None) -> Any:
        """The value for `key`, made (and kept) if there is none."""
        if key in self.data:
            self.data.move_to_end(key)
            return self.data[key][1]
        value = make()
        self.put(key, value, keep)
        return value

    def find(self, key: Hashable) -> Optional[Any]:
        """The value kept for `key`, or None."""
        if key not in self.data:
            return None
        self.data.move_to_end(key)
        return self.data[key][1]

    def put(self, key: Hashable, value: Any, keep: Any = None) -> None:
        self.data[key] = (keep, value)
        if len(self.data) > self.size:
            self.data.popitem(last=False)

    def __contains__(self, key: Hashable) -> bool:
        return key in self.data

    def clear(self) -> None:
        self.data.clear()
