"""Data-only framing between the grader and its sandboxed child: JSON headers plus .npy blobs.

Nothing here unpickles: arrays travel as .npy bytes read back with allow_pickle=False and
must have a plain numeric dtype. This module imports only the standard library and numpy,
because the child loads it too.
"""
from __future__ import annotations

import io
import json
import re
import struct
from typing import Any

import numpy as np

_HEAD = struct.Struct(">4sIQ")  # magic, JSON length, total blob length
MAGIC = b"HWG1"
MAX_FRAME = 64 * 1024 * 1024
NUMERIC_KINDS = "biuf"


class ProtocolError(Exception):
    """Bytes from the child that are not a well-formed frame."""


def encode(message: Any) -> bytes:
    """Frame a JSON-able tree in which numpy arrays may appear anywhere."""
    blobs: list[bytes] = []
    header = json.dumps({"m": _lift(message, blobs), "b": [len(b) for b in blobs]},
                        separators=(",", ":")).encode()
    return _HEAD.pack(MAGIC, len(header), sum(map(len, blobs))) + header + b"".join(blobs)


def _lift(obj: Any, blobs: list[bytes]) -> Any:
    if isinstance(obj, np.ndarray):
        blobs.append(npy_bytes(obj))
        return {"$nd": len(blobs) - 1}
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
        blobs.append(blob_bytes[pos:pos + size])
        pos += size
    try:
        return _settle(head["m"], blobs, 0)
    except RecursionError:
        raise ProtocolError("message nested too deeply") from None


def _settle(obj: Any, blobs: list[bytes], depth: int) -> Any:
    if depth > 64:
        raise ProtocolError("message nested too deeply")
    if isinstance(obj, dict):
        if set(obj) == {"$nd"}:
            return _load_array(blobs, obj["$nd"])
        return {k: _settle(v, blobs, depth + 1) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_settle(v, blobs, depth + 1) for v in obj]
    return obj


class BadArray:
    """Stands in for an array the child sent that the grader refuses to read."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"BadArray({self.reason!r})"


def npy_bytes(arr: np.ndarray) -> bytes:
    """The array in .npy format (version 1.0), written without np.save's overhead."""
    if arr.dtype.kind not in NUMERIC_KINDS or arr.dtype.fields is not None:
        buf = io.BytesIO()  # let numpy refuse (or write) anything unusual, as np.save would
        np.save(buf, arr, allow_pickle=False)
        return buf.getvalue()
    arr = arr if arr.flags.c_contiguous else arr.copy(order="C")  # keeps 0-d arrays 0-d
    shape = f"({arr.shape[0]},)" if arr.ndim == 1 else "(" + ", ".join(map(str, arr.shape)) + ")"
    header = f"{{'descr': '{arr.dtype.str}', 'fortran_order': False, 'shape': {shape}, }}"
    header = header.ljust(((len(header) + 11) // 64 + 1) * 64 - 11) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") \
        + arr.tobytes()


_NPY_HEADER = re.compile(
    r"\{'descr': '([<>|=]?[biuf][1248])', 'fortran_order': (False|True), "
    r"'shape': \(((?:\d+, ?)*\d*)\), \} *\n")


def _load_array(blobs: list[bytes], index: Any) -> np.ndarray | BadArray:
    if type(index) is not int or not 0 <= index < len(blobs):
        raise ProtocolError(f"array reference {index!r} out of range")
    fast = _read_npy(blobs[index])
    if fast is not None:
        return fast
    try:
        arr = np.load(io.BytesIO(blobs[index]), allow_pickle=False)
    except Exception as exc:  # malformed .npy: the child's fault, never ours
        return BadArray(f"unreadable array ({type(exc).__name__})")
    if type(arr) is not np.ndarray or arr.dtype.fields is not None \
            or arr.dtype.kind not in NUMERIC_KINDS:
        return BadArray(f"array of dtype {arr.dtype}")
    return arr


def _read_npy(data: bytes) -> np.ndarray | None:
    """Plain numeric .npy (version 1.0) read directly; None sends anything else to np.load."""
    if data[:8] != b"\x93NUMPY\x01\x00" or len(data) < 10:
        return None
    hlen = struct.unpack("<H", data[8:10])[0]
    match = _NPY_HEADER.fullmatch(data[10:10 + hlen].decode("latin1"))
    if match is None:
        return None
    dtype = np.dtype(match.group(1))
    shape = tuple(int(n) for n in match.group(3).replace(" ", "").split(",") if n)
    body = data[10 + hlen:]
    if len(body) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
        return BadArray("array whose size does not match its shape")
    arr = np.frombuffer(body, dtype=dtype).reshape(shape, order="F" if match.group(2) == "True" else "C")
    return arr
