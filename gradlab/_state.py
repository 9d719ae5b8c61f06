"""The process-wide switches every layer reads: is gradient recording on, is inference mode on.

They live below the Tensor so that making a tensor can read them (a tensor made inside
``inference_mode`` is an inference tensor); ``gradlab.autograd.grad_mode`` flips them.
"""

from __future__ import annotations

__all__ = ["STATE"]


class _State:
    enabled = True  # gradient recording (no_grad turns it off)
    inference = False  # inside inference_mode()


STATE = _State()
