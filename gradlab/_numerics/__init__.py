"""The bottom layer: plain-numpy numerics that know nothing of tensors or autograd.

PyTorch's summation order (``summation``), fused multiply-adds rounded once (``fma``),
floating-point errors kept quiet (``quiet``).
"""
