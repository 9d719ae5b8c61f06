"""The bottom layer: plain-numpy numerics that know nothing of tensors or autograd.

PyTorch's summation order (``summation``); floats as PyTorch's CPU kernels treat them
(``floats``): errors kept quiet, fused multiply-adds rounded once.
"""
