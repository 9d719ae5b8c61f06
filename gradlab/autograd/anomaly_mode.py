"""Anomaly detection: remember where each node was created, and check gradients for NaN.

With it on, an error inside backward is preceded by a warning that shows the line of the
*forward* pass that made the failing node, and a node that returns NaN gradients raises.
"""

from __future__ import annotations

import functools
import traceback
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


class _Anomaly:
    enabled = False
    check_nan = True


ANOMALY = _Anomaly()


def is_anomaly_enabled() -> bool:
    return ANOMALY.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY.check_nan


def forward_trace() -> str:
    """Where the current operation was called from (without gradlab's own frames)."""
    frames = [f for f in traceback.extract_stack() if "/gradlab/" not in f.filename]
    return "".join(traceback.format_list(frames))


class set_detect_anomaly:
    """Turn anomaly detection on or off: immediately, or for a ``with`` block."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (ANOMALY.enabled, ANOMALY.check_nan)
        ANOMALY.enabled, ANOMALY.check_nan = bool(mode), bool(check_nan)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        ANOMALY.enabled, ANOMALY.check_nan = self.prev


class detect_anomaly:
    """Context manager (and decorator) that enables anomaly detection, with PyTorch's warning."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        self.prev = (ANOMALY.enabled, ANOMALY.check_nan)
        ANOMALY.enabled, ANOMALY.check_nan = True, self.check_nan

    def __exit__(self, *exc: object) -> None:
        ANOMALY.enabled, ANOMALY.check_nan = self.prev

    def __call__(self, fn):  # type: ignore[no-untyped-def]
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            with self:
                return fn(*args, **kwargs)

        return wrapper
