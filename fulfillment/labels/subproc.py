"""Label chunks rendered in child Python processes, for callers that may not fork.

A Celery prefork worker is a daemonic process: multiprocessing refuses it children, so a
batch job would render on one core. `subprocess` is allowed there. `render_chunks` starts
`workers - 1` children (`python -m fulfillment.labels.subproc`), hands each its share of the
chunks (pickled on stdin: they are our own frozen dataclasses, from this process) and renders
the remaining chunks itself meanwhile. Chunks are dealt round-robin and yielded in order, so
the caller can merge and report progress after each; a child writes each PDF as a
length-prefixed frame on stdout as soon as it is done.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from .data import LabelData

_FRAME = struct.Struct(">Q")


class ChildFailed(RuntimeError):
    """A child process died or wrote a short frame; the message carries its stderr tail."""


def _start_child(size: str, chunks: list[list[LabelData]]) -> tuple[subprocess.Popen, object]:
    from django.conf import settings

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
    # Not a pipe: a chatty child could fill it and stall. Closed by render_chunks.
    stderr = tempfile.TemporaryFile()  # noqa: SIM115
    child = subprocess.Popen(
        [sys.executable, "-m", "fulfillment.labels.subproc"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=Path(settings.BASE_DIR),
        env=env,
    )
    pickle.dump((size, chunks), child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
    child.stdin.close()
    return child, stderr


def _read_frame(child: subprocess.Popen, stderr) -> bytes:
    head = child.stdout.read(_FRAME.size)
    body = child.stdout.read(_FRAME.unpack(head)[0]) if len(head) == _FRAME.size else b""
    if len(head) != _FRAME.size or len(body) != _FRAME.unpack(head)[0]:
        child.wait()
        stderr.seek(0)
        tail = stderr.read()[-2000:].decode(errors="replace")
        raise ChildFailed(f"label renderer exited with {child.returncode}: {tail}")
    return body


def render_chunks(
    chunks: Sequence[Sequence[LabelData]], size: str, workers: int
) -> Iterator[bytes]:
    """The PDF of each chunk, in order; chunk i is rendered by process i % workers (0 is this
    one). A child's failure raises ChildFailed; leaving early kills the children."""
    from .pdf import render_labels_pdf_serial

    workers = max(1, min(workers, len(chunks)))
    children = [
        _start_child(size, [list(c) for c in chunks[w::workers]]) for w in range(1, workers)
    ]
    try:
        for i, chunk in enumerate(chunks):
            owner = i % workers
            if owner == 0:
                yield render_labels_pdf_serial(chunk, size)
            else:
                yield _read_frame(*children[owner - 1])
        for child, _stderr in children:
            child.wait()
    finally:
        for child, stderr in children:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()
            stderr.close()


def main() -> None:
    import django

    django.setup()
    from .pdf import render_labels_pdf_serial

    size, chunks = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    for chunk in chunks:
        pdf = render_labels_pdf_serial(chunk, size)
        out.write(_FRAME.pack(len(pdf)))
        out.write(pdf)
        out.flush()


if __name__ == "__main__":
    main()
