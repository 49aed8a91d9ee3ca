"""Data-only framing between the grader and its sandboxed child: a JSON header plus raw
array bytes.

Nothing here unpickles: an array travels as its bytes, with its dtype and shape in the
header; it is read back only if the dtype is a plain number (bool, int, unsigned, float of
at most 8 bytes) and the bytes fit the shape. What comes back is bounded before it is
decoded: a frame larger than the reader's limit, or whose header would decode into more
Python objects than its limit, is skipped unread and reported as an `Oversize`; every
scalar is checked too (`checked`). This module imports only the standard library and
numpy, because the child loads it too.
"""
from __future__ import annotations

import json
import math
import os
import re
import struct
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

_HEAD = struct.Struct(">4sIQ")  # magic, JSON length, total blob length
MAGIC = b"HWG2"
MAX_FRAME = 64 * 1024 * 1024
MAX_ELEMENTS = 1 << 20
NUMERIC_KINDS = "biuf"
_DTYPE = re.compile(r"[<>|=]?(b1|[iu][1248]|f[248])")
FLOAT64_MAX = float(np.finfo(np.float64).max)
MAX_TEXT = 10_000  # characters of one string kept from the child


class ProtocolError(Exception):
    """Bytes from the child that are not a well-formed frame."""


@dataclass(frozen=True)
class Oversize:
    """A frame skipped unread because it was over the reader's bounds."""

    size: int  # bytes
    elements: int = 0  # values its header holds, when that was the bound it broke

    def describe(self, max_bytes: int) -> str:
        if self.elements:
            return f"a value of up to {self.elements:,} numbers and lists; the limit is " \
                   f"{elements_limit(max_bytes):,}"
        return f"{_mb(self.size)}; the limit per call is {_mb(max_bytes)}"


@dataclass(frozen=True)
class Malformed:
    """Bytes that are not a well-formed frame: the reader stops at them, after handing on
    the good frames that came before in the same read."""

    reason: str


def _mb(n: int) -> str:
    return f"{n / (1 << 20):.3g} MB"


def elements_limit(max_bytes: int) -> int:
    """How many JSON values a header may hold: one per 64 bytes of the frame limit, so that
    decoding it (some 60 bytes a Python object) takes about as much memory as the frame."""
    return max(1024, min(MAX_ELEMENTS, max_bytes // 64))


def _elements(header: bytes) -> int:
    """An upper bound on the number of values in a JSON text, counted before decoding it:
    every value but the first follows a comma or opens a list or an object."""
    return header.count(b",") + header.count(b"[") + header.count(b"{") + 1


def encode(message: Any) -> bytes:
    """Frame a JSON-able tree in which numeric numpy arrays may appear anywhere."""
    blobs: list[bytes] = []
    header = json.dumps({"m": _lift(message, blobs), "b": [len(b) for b in blobs]},
                        separators=(",", ":")).encode()
    return _HEAD.pack(MAGIC, len(header), sum(map(len, blobs))) + header + b"".join(blobs)


def _lift(obj: Any, blobs: list[bytes]) -> Any:
    if type(obj) in _SCALARS:
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in NUMERIC_KINDS or obj.dtype.fields is not None:
            raise ValueError(f"only numeric arrays travel, not dtype {obj.dtype}")
        blobs.append(obj.tobytes(order="C"))
        return {"$nd": len(blobs) - 1, "t": obj.dtype.str, "s": list(obj.shape)}
    if isinstance(obj, dict):
        return {str(k): _lift(v, blobs) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_lift(v, blobs) for v in obj]
    return obj


_SCALARS = frozenset((str, int, float, bool, type(None)))  # what JSON holds but lists
                                                           # and objects


class FrameReader:
    """Accumulates bytes from a pipe and yields complete decoded frames, each with its size
    in bytes. Each frame is assembled in a buffer of its own (its arrays are views of it,
    never copies); a frame over the bounds is skipped as it streams by, never held."""

    def __init__(self, max_frame: int = MAX_FRAME, max_elements: int | None = None):
        self.max_frame = max_frame
        self.max_elements = max_elements if max_elements is not None else \
            elements_limit(max_frame)
        self.head = bytearray()  # the 16 bytes that start a frame
        self.frame: bytearray | None = None  # the frame being read, once its head is in
        self.filled = 0
        self.hlen = 0
        self.skip = 0  # bytes of an oversized frame still to discard

    @property
    def buffered(self) -> int:
        return len(self.head) + self.filled

    def feed(self, data: bytes) -> list[Any]:
        return [message for message, _ in self.feed_sized(data)]

    def feed_sized(self, data: bytes) -> list[tuple[Any, int]]:
        """Frames completed by `data`; a malformed one ends the list as a Malformed (the
        reader is then of no further use: nothing after it can be trusted to be framed)."""
        frames: list[tuple[Any, int]] = []
        try:
            self._feed(data, frames)
        except ProtocolError as exc:
            frames.append((Malformed(str(exc)[:200]), 0))
        return frames

    def _feed(self, data: bytes, frames: list[tuple[Any, int]]) -> None:
        view, pos = memoryview(data), 0
        while pos < len(view):
            if self.skip:
                step = min(self.skip, len(view) - pos)
                pos, self.skip = pos + step, self.skip - step
            elif self.frame is None:
                step = _HEAD.size - len(self.head)
                self.head += view[pos:pos + step]
                pos += min(step, len(view) - pos)
                if len(self.head) == _HEAD.size:
                    frames += self._start()
            else:
                step = min(len(self.frame) - self.filled, len(view) - pos)
                self.frame[self.filled:self.filled + step] = view[pos:pos + step]
                pos, self.filled = pos + step, self.filled + step
            if self.frame is not None and self.filled == len(self.frame):
                frames.append(self._finish())

    def _start(self) -> list[tuple[Any, int]]:
        magic, hlen, blen = _HEAD.unpack(self.head)
        self.head = bytearray()
        if magic != MAGIC:
            raise ProtocolError(f"bad frame (magic {bytes(magic)!r})")
        if hlen + blen > self.max_frame:
            self.skip = hlen + blen
            return [(Oversize(_HEAD.size + hlen + blen), _HEAD.size + hlen + blen)]
        self.frame, self.filled, self.hlen = bytearray(hlen + blen), 0, hlen
        return []

    def _finish(self) -> tuple[Any, int]:
        frame, hlen = self.frame, self.hlen
        self.frame, self.filled = None, 0
        size = _HEAD.size + len(frame)
        header = bytes(frame[:hlen])
        elements = _elements(header)
        if elements > self.max_elements:
            return Oversize(size, elements), size
        return decode(header, memoryview(frame)[hlen:]), size


def decode_frame(data: bytes) -> Any:
    """Decode one complete frame (as written by `encode`)."""
    frames = FrameReader(max_frame=max(MAX_FRAME, len(data)),
                         max_elements=max(MAX_ELEMENTS, len(data))).feed(data)
    if frames and isinstance(frames[-1], Malformed):
        raise ProtocolError(frames[-1].reason)
    if len(frames) != 1:
        raise ProtocolError(f"expected one frame, found {len(frames)}")
    return frames[0]


def read_frame(fd: int) -> Any:
    """Read one whole frame from a descriptor (blocking) and decode it: how the child reads
    what the grader sends. EOFError if the descriptor ends before the frame does."""
    head = _read_exactly(fd, _HEAD.size)
    magic, hlen, blen = _HEAD.unpack(head)
    if magic != MAGIC or hlen + blen > MAX_FRAME:
        raise ProtocolError(f"bad frame (magic {bytes(magic)!r}, {hlen + blen} bytes)")
    return decode_frame(head + _read_exactly(fd, hlen + blen))


def _read_exactly(fd: int, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = os.read(fd, min(n - len(data), 1 << 20))
        if not chunk:
            raise EOFError(f"the stream ended {n - len(data)} bytes before the frame did")
        data += chunk
    return bytes(data)


def decode(header: bytes, blob_bytes: bytes | memoryview) -> Any:
    try:
        head = json.loads(header.decode("utf-8"))
        sizes = [int(s) for s in head["b"]]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise ProtocolError(f"unreadable header: {exc}") from None
    if sum(sizes) != len(blob_bytes) or min(sizes, default=0) < 0:
        raise ProtocolError("blob sizes do not add up")
    blobs, pos = [], 0
    for size in sizes:
        blobs.append((pos, size))
        pos += size
    try:
        return _settle(head["m"], blob_bytes, blobs, 0)
    except RecursionError:
        raise ProtocolError("message nested too deeply") from None


def _settle(obj: Any, data: bytes | memoryview, blobs: list[tuple[int, int]], depth: int) -> Any:
    if depth > 64:
        raise ProtocolError("message nested too deeply")
    kind = type(obj)
    shallow = depth < 64  # a scalar below may pass without a call: it is within the bound
    if kind is dict:
        if "$nd" in obj:
            return _array(obj, data, blobs)
        return {k: v if shallow and type(v) in _SCALARS else _settle(v, data, blobs, depth + 1)
                for k, v in obj.items()}
    if kind is list:
        return [v if shallow and type(v) in _SCALARS else _settle(v, data, blobs, depth + 1)
                for v in obj]
    return obj


class BadValue:
    """Stands in for a value the child sent that the grader refuses to read; `reason` is
    what it was, as a noun phrase ("an array of dtype <c16")."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"BadValue({self.reason!r})"


Plain = Union[None, bool, int, float, str, list, np.ndarray, BadValue]


def checked(value: Any, depth: int = 0) -> Plain:
    """A value from the child made safe to judge: numbers a float64 can hold, strings cut
    to MAX_TEXT, lists of those, numeric arrays; anything else becomes a BadValue."""
    kind = type(value)
    if value is None or kind in (bool, float, np.ndarray, BadValue):
        return value
    if kind is int:
        return value if _fits_float64(value) else BadValue("a number too large for float64")
    if kind is str:
        return value[:MAX_TEXT]
    if kind is list and depth < 64:
        return [checked(v, depth + 1) for v in value]
    return BadValue(f"a {kind.__name__} where only numbers, arrays and lists may come back")


def _fits_float64(n: int) -> bool:
    try:
        return math.isfinite(float(n))
    except OverflowError:
        return False


def _array(node: dict[str, Any], data: bytes | memoryview, blobs: list[tuple[int, int]]) -> Any:
    """A read-only array over the frame's bytes, if its dtype is numeric and it fits."""
    index, dtype, shape = node.get("$nd"), node.get("t"), node.get("s")
    if type(index) is not int or not 0 <= index < len(blobs):
        raise ProtocolError(f"array reference {index!r} out of range")
    dt = _DTYPES.get(dtype) if type(dtype) is str else None
    if dt is None:
        if not isinstance(dtype, str) or not _DTYPE.fullmatch(dtype):
            return BadValue(f"an array of dtype {str(dtype)[:40]}")
        dt = _DTYPES[dtype] = np.dtype(dtype)  # a few dozen strings match at most
    if type(shape) is not list or len(shape) > 32:
        return BadValue("an array with a malformed shape")
    count = 1
    for n in shape:
        if type(n) is not int or n < 0:
            return BadValue("an array with a malformed shape")
        count *= n
    offset, size = blobs[index]
    if count * dt.itemsize != size:
        return BadValue("an array whose size does not match its shape")
    if count == 0:
        return np.zeros(shape, dtype=dt)
    return np.frombuffer(data, dtype=dt, count=count, offset=offset).reshape(shape)


_DTYPES: dict[str, np.dtype] = {}  # the dtype strings seen, each checked once
