"""Big label batches on every core: chunks rendered in forked processes, merged into one PDF.

WeasyPrint is pure Python around Pango, so one process uses one core. A batch of hundreds of
labels is split into chunks of whole pages. Forked workers (which inherit this process's parsed
stylesheet, font configuration and label-top heights) take chunks from the front of the batch,
this process takes them from the back, until the two meet: neither waits on the other in
lockstep, and as chunks shrink towards the meeting point, the last one to finish idles for at
most a small chunk. pypdf joins the pages in order (about 0.2 ms a page to read a chunk's PDF,
done as soon as each chunk is ready, so that only the cheap page copy and the write are left
for the end). Chunks are small enough that a worker's memory (the box tree of one chunk) stays
bounded whatever the batch.
"""

from __future__ import annotations

import gc
import logging
import math
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from fulfillment.labels.render.data import LabelData
from fulfillment.labels.render.merge import join_pages, read_pages
from fulfillment.labels.render.pdf import (
    LABELS_PER_PAGE,
    measure_shared_tops,
    render_labels_pdf_serial,
)
from fulfillment.labels.render.weasy import weasy

log = logging.getLogger(__name__)

MIN_CHUNK = 40  # labels: a smaller share of work does not pay for a process
MAX_CHUNK = 150  # labels: bounds a worker's memory (the box tree of one chunk)
TAIL_CHUNK = 25  # labels: the smallest chunk, where the two ends meet


def worker_count(count: int, workers: int | None) -> int:
    """Processes for `count` labels: `workers` if given, else one per core when there is at
    least a chunk of MIN_CHUNK labels for each."""
    if workers is not None:
        return max(1, min(workers, count))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, count // MIN_CHUNK))


def _guided(pages: int, processes: int, smallest: int, largest: int) -> list[int]:
    """Chunk sizes for `processes` working through `pages` in order: each a share of what is
    left, so chunks shrink towards the end and the processes run out of work together."""
    sizes = []
    while pages > 0:
        size = min(pages, max(smallest, min(largest, math.ceil(pages / (2 * processes)))))
        sizes.append(size)
        pages -= size
    return sizes


def chunk_bounds(count: int, workers: int, per_page: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk: whole pages (an A4 sheet of four is never split), at most
    MAX_CHUNK labels. The workers take chunks from the front and the calling process from the
    back, so chunks are large at both ends (each has a fixed cost: the document, its overlay
    pages) and shrink to TAIL_CHUNK where the two sides should meet."""
    pages = math.ceil(count / per_page)
    largest = max(1, MAX_CHUNK // per_page)
    smallest = max(1, min(largest, TAIL_CHUNK // per_page))
    front = pages * (workers - 1) // workers  # the workers' share, if all go at one speed
    sizes = _guided(front, workers - 1, smallest, largest)
    sizes += reversed(_guided(pages - front, 1, smallest, largest))
    bounds, start = [], 0
    for size in sizes:
        end = min(start + size * per_page, count)
        bounds.append((start, end))
        start = end
    return bounds


def _render_chunk(labels: Sequence[LabelData], size: str) -> bytes:
    return render_labels_pdf_serial(labels, size)


def render_parallel(labels: Sequence[LabelData], size: str, workers: int) -> bytes:
    """One PDF of all labels, chunks rendered by this and `workers - 1` forked processes. Falls
    back to this process alone where it cannot fork (a daemonic process, a spawn-only platform)."""
    weasy()  # parse the stylesheet and load fonts once, before the fork, for every worker
    measure_shared_tops(labels, size)  # and the label tops the chunks draw from overlays
    bounds = chunk_bounds(len(labels), workers, LABELS_PER_PAGE[size])
    futures: dict[int, Future] = {}
    lock = threading.Lock()
    unclaimed = [0, len(bounds)]  # chunks from [0] to before [1] are not claimed yet
    pool = None

    def offer_next(done: Future | None = None) -> None:
        # A worker is given its next chunk as soon as it has finished one (this runs in the
        # pool's result thread): not earlier, or the pool would queue it where this process
        # can no longer take it back at the end. A failed chunk stops the offers; its error
        # is raised below.
        if done is not None and (done.cancelled() or done.exception() is not None):
            return
        with lock:
            if unclaimed[0] >= unclaimed[1]:
                return
            i = unclaimed[0]
            unclaimed[0] += 1
            start, end = bounds[i]
            future = futures[i] = pool.submit(_render_chunk, list(labels[start:end]), size)
        future.add_done_callback(offer_next)

    # Objects that exist now are left out of the workers' garbage collections, which would
    # otherwise write to (and so copy) every page the workers share with this process.
    gc.freeze()
    try:
        pool = ProcessPoolExecutor(
            max_workers=workers - 1, mp_context=multiprocessing.get_context("fork")
        )
        for _ in range(workers - 1):
            offer_next()  # the first submit forks every worker
    except (AssertionError, OSError, ValueError) as error:
        # A daemonic process may not have children; a platform without fork has no context.
        with lock:
            unclaimed[1] = unclaimed[0]
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        log.warning("label workers unavailable (%s); rendering in this process", error)
        return render_labels_pdf_serial(labels, size)
    finally:
        gc.unfreeze()
    pages: list[list | None] = [None] * len(bounds)
    read = 0  # chunks before this one have had their pages read
    try:
        while True:
            with lock:
                if unclaimed[0] >= unclaimed[1]:
                    break
                unclaimed[1] -= 1
                i = unclaimed[1]
            start, end = bounds[i]
            pages[i] = read_pages(render_labels_pdf_serial(labels[start:end], size))
            while read in futures and futures[read].done():
                pages[read] = read_pages(futures[read].result())  # a worker's error is raised
                read += 1
        for i in range(read, len(bounds)):
            if pages[i] is None:
                pages[i] = read_pages(futures[i].result())
    finally:
        with lock:
            unclaimed[1] = unclaimed[0]  # no more offers (after an error)
        pool.shutdown(cancel_futures=True)
    title = "Return labels" if all(label.is_return for label in labels) else "Shipping labels"
    return join_pages(pages, title)
