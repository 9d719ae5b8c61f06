"""``gradlab.backends.cudnn``: NVIDIA's cuDNN, never available; its flags are kept (and
ignored) so that ``torch.backends.cudnn.deterministic = True`` runs."""

enabled = True
benchmark = False
deterministic = False


def is_available() -> bool:
    return False


def version() -> None:
    return None
