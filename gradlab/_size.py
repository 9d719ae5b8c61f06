"""``Size``: the tuple subclass PyTorch returns from ``.shape`` and ``.size()``."""

from __future__ import annotations


class Size(tuple):
    """A tensor's shape; a tuple that prints as ``gradlab.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"gradlab.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):  # slices stay Sizes, as in PyTorch
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))
