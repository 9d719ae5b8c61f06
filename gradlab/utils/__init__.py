"""``gradlab.utils``: helpers beside the core, as ``torch.utils`` (``utils.data`` for batches)."""

from gradlab.utils import data

__all__ = ["data"]
