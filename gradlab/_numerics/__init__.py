"""The bottom layer: plain-numpy numerics that know nothing of tensors or autograd.

PyTorch's summation order (``sum``), floating-point errors kept quiet (``quiet``).
"""
