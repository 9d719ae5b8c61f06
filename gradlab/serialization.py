"""``gradlab.save`` / ``gradlab.load``: tensors, state dicts and optimizer state in a file that
holds only data, so loading one can never run code (unlike a pickle).

The file is a zip archive: ``gradlab/structure.json`` describes the saved object (dicts with
their key types and order, lists, tuples, numbers, strings, tensors by reference) and each tensor
is a ``.npy`` array read back with ``allow_pickle=False``. What a state dict holds round-trips
exactly: values bit for bit, dtypes, shapes, ``Parameter`` and ``requires_grad``, key order, and
one tensor saved twice comes back as one tensor. Models themselves (code) are refused: save
``model.state_dict()`` and load it into a freshly built model, as PyTorch recommends.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
import zlib
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from gradlab.nn.parameter import Parameter
from gradlab.tensor import Tensor, check_device, device

__all__ = ["save", "load"]

FORMAT = "gradlab.save"
VERSION = 1
STRUCTURE = "gradlab/structure.json"
MAX_STRUCTURE = 1 << 26  # bytes of JSON: far more than any state dict needs
MAX_DEPTH = 200  # nesting deeper than this is refused (a crafted file cannot exhaust the stack)
_DTYPES = frozenset("bool uint8 int8 int16 int32 int64 float16 float32 float64".split())

FileLike = str | os.PathLike | IO[bytes]


class _Writer:
    """Turns an object into JSON-ready data, collecting tensors as numbered arrays."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self.seen: dict[int, int] = {}  # id(tensor) -> array number
        self.keep: list[Tensor] = []  # keeps ids valid while saving

    def encode(self, obj: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ValueError(f"gradlab.save: the object is nested more than {MAX_DEPTH} deep")
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.bool_):
            return {"int": str(int(obj))}
        if isinstance(obj, (float, np.floating)):
            return {"float": repr(float(obj))}
        if isinstance(obj, Tensor):
            return self._tensor(obj)
        if isinstance(obj, device):
            return {"device": str(obj)}
        if isinstance(obj, (list, tuple)):
            items = [self.encode(x, depth + 1) for x in obj]
            return {"tuple": items} if isinstance(obj, tuple) else {"list": items}
        if isinstance(obj, dict):
            kind = "ordered" if isinstance(obj, OrderedDict) else "dict"
            return {kind: [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                           for k, v in obj.items()]}
        hint = ("\nHint: save model.state_dict() (or optimizer.state_dict()) and load it into "
                "a freshly built object with load_state_dict()." if hasattr(
                    obj, "state_dict") else "")
        raise TypeError(f"gradlab.save can store tensors, numbers, strings, None and lists, "
                        f"tuples and dicts of them, not {type(obj).__name__} (a file written "
                        f"by gradlab.save never contains code).{hint}")

    def _tensor(self, t: Tensor) -> dict[str, Any]:
        number = self.seen.get(id(t))
        if number is None:
            number = self.seen[id(t)] = len(self.arrays)
            self.arrays.append(np.array(t._data, order="C"))  # (keeps 0-d arrays 0-d)
            self.keep.append(t)
        return {"tensor": number, "parameter": isinstance(t, Parameter),
                "requires_grad": bool(t.requires_grad)}


def save(obj: Any, f: FileLike, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Save ``obj`` (a tensor, a state dict, an optimizer's state dict, or lists, tuples and
    dicts of tensors and plain values) to a path or a binary file object."""
    if not isinstance(f, (str, os.PathLike)) and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a "
                             "'write' attribute")
    writer = _Writer()
    structure = {"format": FORMAT, "version": VERSION, "object": writer.encode(obj),
                 "arrays": [[a.dtype.name, list(a.shape)] for a in writer.arrays]}
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(STRUCTURE, json.dumps(structure))
        for number, array in enumerate(writer.arrays):
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            archive.writestr(f"gradlab/arrays/{number}.npy", buffer.getvalue())


class _Reader:
    """Rebuilds the saved object from the JSON structure and the archive's arrays."""

    def __init__(self, archive: zipfile.ZipFile, specs: list) -> None:
        self.archive, self.specs = archive, specs
        self.tensors: dict[int, Tensor] = {}

    def decode(self, node: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise _corrupt(f"nested more than {MAX_DEPTH} deep")
        if node is None or isinstance(node, (bool, str)):
            return node
        if not isinstance(node, dict) or len(node) not in (1, 3):
            raise _corrupt(f"unexpected entry {str(node)[:60]!r}")
        kind = next(iter(node))
        value = node[kind]
        if kind in ("int", "float") and isinstance(value, str) and len(value) < 400:
            try:
                return int(value) if kind == "int" else float(value)
            except ValueError:
                raise _corrupt(f"{value[:40]!r} is not a number") from None
        if kind in ("list", "tuple") and isinstance(value, list):
            items = [self.decode(x, depth + 1) for x in value]
            return tuple(items) if kind == "tuple" else items
        if kind in ("dict", "ordered") and isinstance(value, list):
            pairs = []
            for pair in value:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise _corrupt("a dict entry is not a key/value pair")
                key = self.decode(pair[0], depth + 1)
                if isinstance(key, (list, dict)):
                    raise _corrupt("a dict key is not hashable")
                pairs.append((key, self.decode(pair[1], depth + 1)))
            return OrderedDict(pairs) if kind == "ordered" else dict(pairs)
        if kind == "device" and isinstance(value, str):
            return device(value)
        if kind == "tensor" and isinstance(value, int) and not isinstance(value, bool):
            return self._tensor(value, bool(node.get("parameter")),
                                bool(node.get("requires_grad")))
        raise _corrupt(f"unexpected entry {str(node)[:60]!r}")

    def _tensor(self, number: int, parameter: bool, requires_grad: bool) -> Tensor:
        if number in self.tensors:
            return self.tensors[number]
        if not 0 <= number < len(self.specs):
            raise _corrupt(f"tensor {number} is not in the file")
        dtype, shape = self.specs[number]
        name = f"gradlab/arrays/{number}.npy"
        if not all(isinstance(n, int) and n >= 0 for n in shape) or dtype not in _DTYPES:
            raise _corrupt(f"{name} is announced as {dtype!r} {shape!r}")
        try:
            size = self.archive.getinfo(name).file_size
            if size > math.prod(shape) * np.dtype(dtype).itemsize + 65536:
                raise _corrupt(f"{name} is larger than its announced shape allows")
            with self.archive.open(name) as member:
                data = np.load(io.BytesIO(member.read()), allow_pickle=False)
        except KeyError:
            raise _corrupt(f"{name} is missing") from None
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
            raise _corrupt(f"{name} is unreadable ({e})") from None
        if data.dtype.name != dtype or list(data.shape) != shape:
            raise _corrupt(f"{name} does not hold the {dtype} array of shape {shape} announced")
        data = np.array(data, copy=True)  # owned and writeable
        if parameter:
            t: Tensor = Parameter(Tensor._make(data), requires_grad=requires_grad)
        else:
            t = Tensor._make(data)
            if requires_grad:
                t.requires_grad_(True)
        self.tensors[number] = t
        return t


def _corrupt(detail: str) -> RuntimeError:
    return RuntimeError(f"gradlab.load: the file is corrupted or was not written by gradlab.save "
                        f"({detail}).")


def _check_map_location(map_location: Any) -> None:
    if map_location is None or callable(map_location) and not isinstance(map_location, str):
        return
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        if device(target).type == "cuda":
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU.")
        check_device(target)


def load(f: FileLike, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None, **kwargs: Any) -> Any:
    """Load what :func:`save` wrote. Every tensor comes back on the CPU; nothing in the file can
    run code, so ``weights_only`` is always in effect."""
    _check_map_location(map_location)
    try:
        archive = zipfile.ZipFile(f, "r")
    except zipfile.BadZipFile:
        raise RuntimeError("gradlab.load: the file is not a zip archive, so it was not written "
                           "by gradlab.save (or it is truncated or corrupted).") from None
    with archive:
        names = archive.namelist()
        if STRUCTURE not in names:
            if any(name.endswith("/data.pkl") for name in names):
                raise RuntimeError(
                    "gradlab.load: this file was written by PyTorch's torch.save, whose files "
                    "hold pickled code; gradlab reads only the files its own save writes, which "
                    "never do.\nHint: in "
                    "PyTorch, save the tensors' values (e.g. {k: v.numpy() for k, v in "
                    "sd.items()} with numpy.savez) and build gradlab tensors from them.")
            raise _corrupt("no gradlab/structure.json")
        if archive.getinfo(STRUCTURE).file_size > MAX_STRUCTURE:
            raise _corrupt("the structure is implausibly large")
        try:
            structure = json.loads(archive.read(STRUCTURE).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError, zipfile.BadZipFile) as e:
            raise _corrupt(f"the structure is unreadable: {e}") from None
        if not isinstance(structure, dict) or structure.get("format") != FORMAT:
            raise _corrupt("the structure is not gradlab's")
        if structure.get("version") != VERSION:
            raise RuntimeError(f"gradlab.load: the file uses format version "
                               f"{structure.get('version')!r}; this gradlab reads version "
                               f"{VERSION}.")
        specs = structure.get("arrays")
        if not isinstance(specs, list) or not all(
                isinstance(s, list) and len(s) == 2 and isinstance(s[0], str)
                and isinstance(s[1], list) for s in specs):
            raise _corrupt("the list of arrays is malformed")
        try:
            return _Reader(archive, specs).decode(structure.get("object"))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as e:
            raise _corrupt(str(e)) from None

