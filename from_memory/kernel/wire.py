"""Plain data across the kernel's boundary: numbers, strings, arrays and containers of them.

What a student's function returns crosses to the judge as data that cannot carry
behaviour: Python ``None``/``bool``/``int``/``float``/``str``, numpy arrays of
exact type ``numpy.ndarray`` with a numeric dtype (as ``.npy`` bytes, read back
without pickle), numpy scalars, and lists, tuples and dicts of those. Anything
else (an ndarray subclass, a ``float`` subclass, an object array, a string array,
a class of the student's) becomes a :class:`Foreign` description: its type's name
and what it claims to be, never its methods. So a result whose operators lie
cannot take part in the comparison, and the judge can say what it got.

    tree, blobs = encode(result)         # in the kernel
    value = decode(tree, blobs)          # in the grader: plain data, Foreign where needed
    data = pack({"op": "record", ...})   # one framed message; unpack(data) gives it back
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass

import numpy as np

NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats
MAX_DEPTH = 16
MAX_NODES = 200_000
MAX_BYTES = 256 * 1024 * 1024  # of array data in one message
_NUMPY_SCALARS = frozenset(
    np.dtype(code).type for code in "?bBhHiIlLqQefdg"
)


@dataclass(frozen=True)
class Foreign:
    """A value that is not plain data: what the kernel said about it, never the value itself."""

    type: str  # e.g. "LyingArray", "numpy.ndarray"
    kind: str = ""  # what it is: "a subclass of numpy.ndarray", "an array of dtype object", ...

    def __str__(self) -> str:
        return f"{self.type} ({self.kind})" if self.kind else self.type


class WireError(ValueError):
    """A message that is not well-formed (too deep, too big, or not made by :func:`encode`)."""


def _type_name(value) -> str:
    kind = type(value)
    module = getattr(kind, "__module__", "")
    name = getattr(kind, "__qualname__", kind.__name__)
    return name if module in ("builtins", "__main__", "") else f"{module}.{name}"


def _describe(value) -> Foreign:
    """What a non-plain value is, from its type alone (its methods are never called)."""
    name = _type_name(value)
    for base, label in ((np.ndarray, "numpy.ndarray"), (float, "float"), (int, "int"),
                        (tuple, "tuple"), (list, "list"), (dict, "dict"), (str, "str")):
        if isinstance(value, base) and type(value) is not base:
            return Foreign(name, f"a subclass of {label}")
    return Foreign(name)


class _Encoder:
    def __init__(self):
        self.blobs: list[bytes] = []
        self.nodes = 0
        self.size = 0

    def array(self, value: np.ndarray) -> dict:
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        data = buffer.getvalue()
        self.size += len(data)
        if self.size > MAX_BYTES:
            return {"$foreign": [_type_name(value), "too large to send to the grader"]}
        self.blobs.append(data)
        return {"$array": len(self.blobs) - 1}

    def tree(self, value, depth=0):
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            return {"$foreign": [_type_name(value), "nested too deeply or too large"]}
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return {"$float": repr(value)}  # JSON has no nan/inf; repr round-trips exactly
        if kind is np.ndarray:
            if value.dtype.kind in NUMERIC_KINDS and value.dtype.fields is None:
                return self.array(value)
            return {"$foreign": ["numpy.ndarray", f"an array of dtype {value.dtype}"]}
        if kind in _NUMPY_SCALARS:
            return {"$scalar": self.array(np.asarray(value))["$array"]}
        if kind is list:
            return [self.tree(item, depth + 1) for item in value]
        if kind is tuple:
            return {"$tuple": [self.tree(item, depth + 1) for item in value]}
        if kind is dict:
            return {"$dict": [[self.tree(k, depth + 1), self.tree(v, depth + 1)] for k, v in value.items()]}
        foreign = value if kind is Foreign else _describe(value)
        return {"$foreign": [foreign.type, foreign.kind]}


def encode(value) -> tuple[object, list[bytes]]:
    """``(tree, blobs)``: a JSON-able tree, and the ``.npy`` bytes of the arrays it refers to."""
    encoder = _Encoder()
    tree = encoder.tree(value)
    return tree, encoder.blobs


def _load(blobs, index) -> np.ndarray:
    if not isinstance(index, int) or not 0 <= index < len(blobs):
        raise WireError(f"array reference {index!r} out of range")
    try:
        array = np.load(io.BytesIO(blobs[index]), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise WireError(f"array {index} is not a plain .npy array: {error}") from None
    if type(array) is not np.ndarray or array.dtype.kind not in NUMERIC_KINDS or array.dtype.fields:
        raise WireError(f"array {index} has dtype {array.dtype}, not a number type")
    return array if array.flags.writeable else array.copy()


def decode(tree, blobs, depth=0):
    """The plain value :func:`encode` described; :class:`Foreign` where it was not plain data."""
    if depth > MAX_DEPTH + 1:
        raise WireError("nested too deeply")
    if tree is None or type(tree) in (bool, int, str):
        return tree
    if type(tree) is list:
        return [decode(item, blobs, depth + 1) for item in tree]
    if type(tree) is not dict or len(tree) != 1:
        raise WireError(f"unexpected node {str(tree)[:80]!r}")
    (tag, body), = tree.items()
    if tag == "$float":
        try:
            return float(body)
        except (TypeError, ValueError):
            raise WireError(f"not a float: {body!r}") from None
    if tag == "$array":
        return _load(blobs, body)
    if tag == "$scalar":
        array = _load(blobs, body)
        if array.shape != ():
            raise WireError("a scalar must be a 0-d array")
        return array[()]
    if tag == "$tuple":
        return tuple(decode(item, blobs, depth + 1) for item in body)
    if tag == "$dict":
        pairs = [(decode(k, blobs, depth + 1), decode(v, blobs, depth + 1)) for k, v in body]
        try:
            return dict(pairs)
        except TypeError:  # an unhashable key (an array): not plain data
            return Foreign("dict", "a dict with unhashable keys")
    if tag == "$foreign":
        name, kind = (list(body) + ["", ""])[:2]
        return Foreign(str(name)[:120], str(kind)[:120])
    raise WireError(f"unknown tag {tag!r}")


def plain(value):
    """``value`` as the judge would receive it: encoded, then decoded."""
    return decode(*encode(value))


# -- framed messages (a length-prefixed header, then the arrays) ----------------------

_LENGTH = struct.Struct("!Q")


def pack(message) -> bytes:
    """One message as bytes: ``len(header) header n (len(blob) blob)*``."""
    tree, blobs = encode(message)
    header = json.dumps(tree).encode()
    parts = [_LENGTH.pack(len(header)), header, _LENGTH.pack(len(blobs))]
    for blob in blobs:
        parts += [_LENGTH.pack(len(blob)), blob]
    return b"".join(parts)


def read_message(read) -> object:
    """Read one packed message with ``read(n) -> bytes`` (exactly n bytes, or fewer at the end)."""

    def exactly(n: int) -> bytes:
        if n > MAX_BYTES:
            raise WireError(f"a part of {n} bytes is more than the {MAX_BYTES} allowed")
        data = read(n)
        if len(data) != n:
            raise EOFError("the connection closed in the middle of a message")
        return data

    (size,) = _LENGTH.unpack(exactly(_LENGTH.size))
    try:
        tree = json.loads(exactly(size))
    except ValueError as error:
        raise WireError(f"the header is not JSON: {error}") from None
    (count,) = _LENGTH.unpack(exactly(_LENGTH.size))
    if count > MAX_NODES:
        raise WireError(f"{count} arrays in one message")
    blobs, total = [], 0
    for _ in range(count):
        (length,) = _LENGTH.unpack(exactly(_LENGTH.size))
        total += length
        if total > MAX_BYTES:
            raise WireError("the message is too large")
        blobs.append(exactly(length))
    return decode(tree, blobs)


def unpack(data: bytes):
    """The message :func:`pack` made."""
    stream = io.BytesIO(data)
    return read_message(stream.read)
