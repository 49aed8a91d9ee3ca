"""Data-only framing between the grader and its sandboxed child: a JSON header plus raw
array bytes.

Nothing here unpickles: an array travels as its bytes, with its dtype and shape in the
header; it is read back only if the dtype is a plain number (bool, int, unsigned, float)
and the bytes fit the shape. This module imports only the standard library and numpy,
because the child loads it too.
"""
from __future__ import annotations

import json
import re
import struct
from typing import Any

import numpy as np

_HEAD = struct.Struct(">4sIQ")  # magic, JSON length, total blob length
MAGIC = b"HWG2"
MAX_FRAME = 64 * 1024 * 1024
NUMERIC_KINDS = "biuf"
_DTYPE = re.compile(r"[<>|=]?[biuf](1|2|4|8|16)")


class ProtocolError(Exception):
    """Bytes from the child that are not a well-formed frame."""


def encode(message: Any) -> bytes:
    """Frame a JSON-able tree in which numeric numpy arrays may appear anywhere."""
    blobs: list[bytes] = []
    header = json.dumps({"m": _lift(message, blobs), "b": [len(b) for b in blobs]},
                        separators=(",", ":")).encode()
    return _HEAD.pack(MAGIC, len(header), sum(map(len, blobs))) + header + b"".join(blobs)


def _lift(obj: Any, blobs: list[bytes]) -> Any:
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


class FrameReader:
    """Accumulates bytes from a pipe and yields complete decoded frames."""

    def __init__(self, max_frame: int = MAX_FRAME):
        self.buf = bytearray()
        self.max_frame = max_frame

    def feed(self, data: bytes) -> list[Any]:
        self.buf += data
        frames = []
        while len(self.buf) >= _HEAD.size:
            magic, hlen, blen = _HEAD.unpack_from(self.buf)
            if magic != MAGIC or hlen + blen > self.max_frame:
                raise ProtocolError(f"bad frame (magic {magic!r}, {hlen + blen} bytes)")
            end = _HEAD.size + hlen + blen
            if len(self.buf) < end:
                break
            frame = bytes(self.buf[_HEAD.size:end])
            del self.buf[:end]
            frames.append(decode(frame[:hlen], frame[hlen:]))
        return frames


def decode_frame(data: bytes) -> Any:
    """Decode one complete frame (as written by `encode`)."""
    frames = FrameReader(max_frame=max(MAX_FRAME, len(data))).feed(data)
    if len(frames) != 1:
        raise ProtocolError(f"expected one frame, found {len(frames)}")
    return frames[0]


def decode(header: bytes, blob_bytes: bytes) -> Any:
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


def _settle(obj: Any, data: bytes, blobs: list[tuple[int, int]], depth: int) -> Any:
    if depth > 64:
        raise ProtocolError("message nested too deeply")
    if isinstance(obj, dict):
        if "$nd" in obj:
            return _array(obj, data, blobs)
        return {k: _settle(v, data, blobs, depth + 1) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_settle(v, data, blobs, depth + 1) for v in obj]
    return obj


class BadArray:
    """Stands in for an array the child sent that the grader refuses to read."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"BadArray({self.reason!r})"


def _array(node: dict[str, Any], data: bytes, blobs: list[tuple[int, int]]) -> Any:
    """A read-only array over the frame's bytes, if its dtype is numeric and it fits."""
    index, dtype, shape = node.get("$nd"), node.get("t"), node.get("s")
    if type(index) is not int or not 0 <= index < len(blobs):
        raise ProtocolError(f"array reference {index!r} out of range")
    if not isinstance(dtype, str) or not _DTYPE.fullmatch(dtype):
        return BadArray(f"array of dtype {str(dtype)[:40]}")
    if not isinstance(shape, list) or len(shape) > 32 or \
            any(type(n) is not int or n < 0 for n in shape):
        return BadArray("array with a malformed shape")
    offset, size = blobs[index]
    dt = np.dtype(dtype)
    count = 1
    for n in shape:
        count *= n
    if count * dt.itemsize != size:
        return BadArray("array whose size does not match its shape")
    if count == 0:
        return np.zeros(shape, dtype=dt)
    return np.frombuffer(data, dtype=dt, count=count, offset=offset).reshape(shape)
