"""What the grader sends a sandbox child, over a pipe it writes as the child reads: the
request in two frames, the second (the hidden items' calls) held back until the child has
answered every other call."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from grader.sandbox import Call, wire


@dataclass
class Requests:
    """`first` (what to run, the visible calls, and whether `more` follow) is queued at
    once; `later` only by `release`. `calls` is the order the child makes them in."""

    first: bytes
    later: bytes
    shown: int  # visible calls: once that many are answered, `later` may go
    calls: list[Call]
    queued: bytearray = field(default_factory=bytearray)

    @classmethod
    def of(cls, head: dict[str, Any], calls: list[Call]) -> Requests:
        shown = [c for c in calls if not c.hidden]
        hidden = [c for c in calls if c.hidden]
        first = wire.encode({**head, "calls": _plain(shown), "more": bool(hidden)})
        later = wire.encode({"calls": _plain(hidden)}) if hidden else b""
        return cls(first, later, len(shown), shown + hidden, bytearray(first))

    def release(self, fd: int) -> None:
        """Queue the hidden calls, and send what the pipe takes now."""
        self.queued += self.later
        self.later = b""
        self.write(fd)

    def write(self, fd: int) -> None:
        """As much as the pipe takes now (`fd` does not block); a child that is gone
        reads nothing more, and its own pipes say how it ended."""
        try:
            del self.queued[:os.write(fd, self.queued[:1 << 16])]
        except BlockingIOError:
            pass
        except OSError:  # BrokenPipeError
            self.queued.clear()


def _plain(calls: list[Call]) -> list[dict[str, Any]]:
    return [{"id": c.id, "attr": c.attr, "kind": c.kind, "args": list(c.args),
             "report_args": c.report_args, "spec": c.spec} for c in calls]
