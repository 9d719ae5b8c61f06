"""libstdc++'s ``std::sort``, ``std::nth_element`` and ``std::partial_sort`` (GCC 13), step by
step, so that tied elements end up where PyTorch's CPU kernels leave them.

PyTorch's unstable ``sort`` of rows longer than 16 (introsort), ``topk`` (``nth_element`` or
``partial_sort`` on ``(value, index)`` pairs) and ``median()`` of all elements call these
algorithms; which of several equal values lands where depends on every swap they make. Each
function works on ``keys`` (comparable ints or floats: ``a < b`` is the kernel's comparator)
and carries ``items`` (what is being ordered, usually original indices) along, in place,
between positions ``first`` and ``last`` as C++ iterators do.
"""

from __future__ import annotations

_THRESHOLD = 16  # std::sort's _S_threshold: shorter ranges are left to insertion sort


def _lg(n: int) -> int:
    return int(n).bit_length() - 1


def _swap(k: list, it: list, i: int, j: int) -> None:
    k[i], k[j] = k[j], k[i]
    it[i], it[j] = it[j], it[i]


def _linear_insert(k: list, it: list, last: int) -> None:
    """``__unguarded_linear_insert``: move ``k[last]`` left past every larger key."""
    vk, vi = k[last], it[last]
    nxt = last - 1
    while vk < k[nxt]:
        k[last], it[last] = k[nxt], it[nxt]
        last, nxt = nxt, nxt - 1
    k[last], it[last] = vk, vi


def _insertion_sort(k: list, it: list, first: int, last: int) -> None:
    for i in range(first + 1, last):
        if k[i] < k[first]:
            vk, vi = k[i], it[i]
            k[first + 1:i + 1], it[first + 1:i + 1] = k[first:i], it[first:i]
            k[first], it[first] = vk, vi
        else:
            _linear_insert(k, it, i)


def _final_insertion_sort(k: list, it: list, first: int, last: int) -> None:
    if last - first > _THRESHOLD:
        _insertion_sort(k, it, first, first + _THRESHOLD)
        for i in range(first + _THRESHOLD, last):
            _linear_insert(k, it, i)
    else:
        _insertion_sort(k, it, first, last)


def _partition_pivot(k: list, it: list, first: int, last: int) -> int:
    """``__unguarded_partition_pivot``: median of three moved to ``first``, then Hoare's
    partition of ``[first + 1, last)`` around it; returns the cut."""
    a, b, c = first + 1, first + (last - first) // 2, last - 1
    if k[a] < k[b]:
        m = b if k[b] < k[c] else (c if k[a] < k[c] else a)
    else:
        m = a if k[a] < k[c] else (c if k[b] < k[c] else b)
    _swap(k, it, first, m)
    pivot, lo, hi = k[first], first + 1, last
    while True:
        while k[lo] < pivot:
            lo += 1
        hi -= 1
        while pivot < k[hi]:
            hi -= 1
        if not lo < hi:
            return lo
        _swap(k, it, lo, hi)
        lo += 1


def _adjust_heap(k: list, it: list, first: int, hole: int, length: int, vk, vi) -> None:
    top = child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if k[first + child] < k[first + child - 1]:
            child -= 1
        k[first + hole], it[first + hole] = k[first + child], it[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        k[first + hole], it[first + hole] = k[first + child - 1], it[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2  # __push_heap
    while hole > top and k[first + parent] < vk:
        k[first + hole], it[first + hole] = k[first + parent], it[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    k[first + hole], it[first + hole] = vk, vi


def _pop_heap(k: list, it: list, first: int, last: int, result: int) -> None:
    vk, vi = k[result], it[result]
    k[result], it[result] = k[first], it[first]
    _adjust_heap(k, it, first, 0, last - first, vk, vi)


def _heap_select(k: list, it: list, first: int, middle: int, last: int) -> None:
    length = middle - first
    if length >= 2:  # __make_heap
        for parent in range((length - 2) // 2, -1, -1):
            _adjust_heap(k, it, first, parent, length, k[first + parent], it[first + parent])
    if middle >= last:
        return
    top = k[first]  # the heap's top only decreases: larger keys can be skipped at once
    for i in range(middle, last):
        if k[i] < top and k[i] < k[first]:
            _pop_heap(k, it, first, middle, i)


def partial_sort(k: list, it: list, first: int, middle: int, last: int) -> None:
    """``std::partial_sort``: the smallest ``middle - first`` keys, sorted, at the front."""
    _heap_select(k, it, first, middle, last)
    while middle - first > 1:  # __sort_heap
        middle -= 1
        _pop_heap(k, it, first, middle, middle)


def _introsort_loop(k: list, it: list, first: int, last: int, depth: int) -> None:
    while last - first > _THRESHOLD:
        if depth == 0:
            partial_sort(k, it, first, last, last)
            return
        depth -= 1
        cut = _partition_pivot(k, it, first, last)
        _introsort_loop(k, it, cut, last, depth)
        last = cut


def sort(k: list, it: list, first: int, last: int) -> None:
    """``std::sort``: introsort, then one insertion sort over the whole range."""
    if first != last:
        _introsort_loop(k, it, first, last, _lg(last - first) * 2)
        _final_insertion_sort(k, it, first, last)


def nth_element(k: list, it: list, first: int, nth: int, last: int) -> None:
    """``std::nth_element``: introselect, insertion sort of the last short range."""
    if first == last or nth == last:
        return
    depth = _lg(last - first) * 2
    while last - first > 3:
        if depth == 0:
            _heap_select(k, it, first, nth + 1, last)
            _swap(k, it, first, nth)
            return
        depth -= 1
        cut = _partition_pivot(k, it, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(k, it, first, last)


def quick_select(k: list, it: list, kth: int) -> None:
    """TH's quickselect (Sedgewick's partition, median of three), which PyTorch's ``kthvalue``
    still runs: ``k[kth]`` ends up the ``kth`` smallest key."""
    lo, hi = 0, len(k) - 1
    while True:
        if hi <= lo:
            return
        if hi == lo + 1:
            if k[hi] < k[lo]:
                _swap(k, it, lo, hi)
            return
        _swap(k, it, (lo + hi) >> 1, lo + 1)
        if k[hi] < k[lo + 1]:
            _swap(k, it, lo + 1, hi)
        if k[hi] < k[lo]:
            _swap(k, it, lo, hi)
        if k[lo] < k[lo + 1]:
            _swap(k, it, lo + 1, lo)
        i, j, pivot = lo + 1, hi, k[lo]
        while True:
            i += 1
            while k[i] < pivot:
                i += 1
            j -= 1
            while pivot < k[j]:
                j -= 1
            if j < i:
                break
            _swap(k, it, i, j)
        _swap(k, it, lo, j)
        if j <= kth:
            lo = i
        if j >= kth:
            hi = j - 1
