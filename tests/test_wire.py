"""The data-only channel: arrays travel as bytes with dtype and shape, checked on arrival."""
from __future__ import annotations

import json

import numpy as np
import pytest

from grader.sandbox import wire


@pytest.mark.parametrize("arr", [
    np.arange(6.0).reshape(2, 3), np.zeros((0, 3)), np.float16([1, 2]), np.array(3.0),
    np.array([True, False]), np.arange(5, dtype=">i4"), np.asfortranarray(np.ones((2, 3))),
    np.arange(24, dtype=np.uint8).reshape(2, 3, 4)[:, ::2],
])
def test_numeric_arrays_come_back_equal(arr):
    back = wire.decode_frame(wire.encode({"v": [arr, 1, "x", None]}))["v"]
    assert back[1:] == [1, "x", None]
    assert back[0].dtype == arr.dtype and back[0].shape == arr.shape
    assert np.array_equal(back[0], arr)


@pytest.mark.parametrize("arr", [np.array(["a"]), np.array([object()]), np.array([1j])])
def test_only_numeric_arrays_are_sent(arr):
    with pytest.raises(ValueError):
        wire.encode({"v": arr})


def _forged(node: dict, blob: bytes) -> bytes:
    header = json.dumps({"m": {"v": node}, "b": [len(blob)]}).encode()
    return wire._HEAD.pack(wire.MAGIC, len(header), len(blob)) + header + blob


@pytest.mark.parametrize("node, blob, reason", [
    ({"$nd": 0, "t": "|O", "s": [1]}, b"\0" * 8, "dtype"),
    ({"$nd": 0, "t": "<c16", "s": [1]}, b"\0" * 16, "dtype"),
    ({"$nd": 0, "t": "<f8", "s": [3]}, b"\0" * 16, "size"),
    ({"$nd": 0, "t": "<f8", "s": [-1, -2]}, b"\0" * 16, "shape"),
    ({"$nd": 0, "t": "<f8", "s": "2"}, b"\0" * 16, "shape"),
    ({"$nd": 0, "t": "<f8", "s": [1 << 62, 1 << 62]}, b"\0" * 16, "size"),
])
def test_a_forged_array_is_refused_not_read(node, blob, reason):
    value = wire.decode_frame(_forged(node, blob))["v"]
    assert isinstance(value, wire.BadValue) and reason in value.reason


@pytest.mark.parametrize("node", [{"$nd": 1, "t": "<f8", "s": [1]}, {"$nd": "0"}])
def test_an_array_reference_out_of_range_is_a_protocol_error(node):
    with pytest.raises(wire.ProtocolError):
        wire.decode_frame(_forged(node, b"\0" * 8))


def _nested(levels: int, leaf: object) -> object:
    for _ in range(levels):
        leaf = [leaf]
    return leaf


@pytest.mark.parametrize("leaf, deepest", [
    (1.0, 64), ("x", 64), (None, 64), (np.arange(2.0), 64),  # the value itself at 64
    ({"a": 1}, 63),  # a dict's values one level below it
])
def test_a_message_nested_past_64_levels_is_a_protocol_error(leaf, deepest):
    """The bound counts every value: a number in the innermost list as much as a list."""
    wire.decode_frame(wire.encode(_nested(deepest, leaf)))
    with pytest.raises(wire.ProtocolError, match="nested too deeply"):
        wire.decode_frame(wire.encode(_nested(deepest + 1, leaf)))


def test_frames_split_anywhere_are_put_back_together():
    frames = b"".join(wire.encode({"i": i, "a": np.full(3, float(i))}) for i in range(5))
    reader, got = wire.FrameReader(), []
    for k in range(0, len(frames), 7):
        got += reader.feed(frames[k:k + 7])
    assert [m["i"] for m in got] == list(range(5))
    assert all((m["a"] == m["i"]).all() for m in got)


def test_bad_magic_ends_the_frames_after_those_read_before_it():
    good = wire.encode({"i": 1})
    got = wire.FrameReader().feed(good + b"XXXX" + bytes(12) + good)
    assert got[0] == {"i": 1} and isinstance(got[1], wire.Malformed) and len(got) == 2
    with pytest.raises(wire.ProtocolError):
        wire.decode_frame(b"XXXX" + bytes(12))


def test_an_oversized_frame_is_skipped_unread_and_the_next_one_still_arrives():
    big = wire.encode({"a": np.zeros(100_000)})  # 800 kB
    reader, got = wire.FrameReader(max_frame=4096), []
    stream = big + wire.encode({"i": 1})
    for k in range(0, len(stream), 65536):
        got += reader.feed_sized(stream[k:k + 65536])
        assert reader.buffered <= 4096  # never holds the big frame
    (first, size), (second, _) = got
    assert isinstance(first, wire.Oversize) and size == len(big)
    assert "0.763 MB; the limit per call is 0.00391 MB" == first.describe(4096)
    assert second == {"i": 1}


def test_a_header_that_would_balloon_when_decoded_is_not_decoded():
    """Two bytes of `[]` become a 56-byte list: the values are counted before decoding."""
    header = json.dumps({"m": {"v": [[]] * 300_000}, "b": []}).encode()
    frame = wire._HEAD.pack(wire.MAGIC, len(header), 0) + header
    (message, _), = wire.FrameReader(max_frame=16 << 20).feed_sized(frame)
    assert isinstance(message, wire.Oversize) and message.elements > 262_144
    assert message.describe(16 << 20) == \
        f"a value of up to {message.elements:,} numbers and lists; the limit is 262,144"
    honest = wire.encode({"v": [[1.5, 2.5]] * 1000})
    assert wire.FrameReader(max_frame=16 << 20).feed(honest)[0]["v"][0] == [1.5, 2.5]


@pytest.mark.parametrize("value, reason", [
    (10 ** 400, "too large for float64"), (-(10 ** 309), "too large for float64"),
    ([1.0, [2, 10 ** 400]], "too large for float64"), ({"a": 1}, "dict"),
])
def test_values_are_checked_before_the_grader_uses_them(value, reason):
    checked = wire.checked(value)
    bad = checked if isinstance(checked, wire.BadValue) else checked[-1][-1]
    assert isinstance(bad, wire.BadValue) and reason in bad.reason


def test_plain_values_pass_the_check_unchanged():
    value = [None, True, 3, 2.5, float("nan"), "s" * 20_000, np.ones(2), [1, [2]]]
    checked = wire.checked(value)
    assert checked[:4] == value[:4] and len(checked[5]) == wire.MAX_TEXT
    assert checked[7] == [1, [2]] and checked[6] is value[6]
