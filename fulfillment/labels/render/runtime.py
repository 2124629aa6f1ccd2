"""Two tweaks of the Python runtime that rendering labels pays for (measured in
bench/labels.py): rarer garbage collections while a document is laid out, and a call stack
that WeasyPrint's recursion does not keep pushing over a CPython frame-chunk edge."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_depth = 0
_gc_saved: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Rarer garbage collections while a document is laid out. WeasyPrint allocates millions of
    small objects; with the default thresholds the collector keeps rescanning the growing box
    tree, about 12% of a label's CPU. Cycles are still collected, every 50,000 allocations."""
    global _gc_depth, _gc_saved
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(50_000, 20, 100)
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                gc.set_threshold(*_gc_saved)


_STACK_ROOM = 4000  # local slots of 8 bytes: 32 KiB, so CPython gives the frame a 64 KiB chunk


def _roomy_stack_call():
    """A function that calls fn(*args) from a frame of _STACK_ROOM local slots.

    CPython (3.11+) keeps Python frames in 16 KiB chunks that it maps and unmaps as the stack
    grows and shrinks. WeasyPrint's recursive layout kept crossing a chunk edge, and every
    crossing mapped a fresh chunk and faulted its pages in: 1.5 to 2.5 ms of system time a
    label, depending on how deep the caller stood (a forked worker stood worse). A frame this
    big gets a chunk of its own, so the layout runs in the ~32 KiB left after it without
    crossing an edge. On another Python the big frame is merely unused."""
    slots = "=".join(f"_{i}" for i in range(_STACK_ROOM))
    source = (
        "def call(fn, *args):\n"
        f"    if fn is None:\n        {slots} = None\n"  # never runs: it only sizes the frame
        "    return fn(*args)\n"
    )
    namespace: dict = {}
    exec(source, namespace)  # generated from the constant above, no input
    return namespace["call"]


on_roomy_stack = _roomy_stack_call()
