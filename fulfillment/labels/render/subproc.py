"""Label chunks rendered in child Python processes, for callers that may not fork.

A Celery prefork worker is a daemonic process: multiprocessing refuses it children, so a
batch job would render on one core. `subprocess` is allowed there. `render_chunks` starts
`workers - 1` children (`python -m fulfillment.labels.render.subproc`) and, once a child says it is
ready, hands it one chunk at a time (pickled on stdin: they are our own frozen dataclasses,
from this process), the next as soon as it has written back the PDF of the previous one as a
length-prefixed frame on stdout. This process renders the next unclaimed chunk whenever the
one due next is not back yet, so no process waits for another (a child needs a second or so
to start) until the last chunks. PDFs are yielded in chunk order, so the caller can merge and
report progress after each.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from fulfillment.labels.render.data import LabelData

_FRAME = struct.Struct(">Q")


class ChildFailed(RuntimeError):
    """A child process died or wrote a short frame; the message carries its stderr tail."""


def _start_child(size: str) -> tuple[subprocess.Popen, object]:
    from django.conf import settings

    # SETTINGS_MODULE is None while settings are overridden (tests); the environment has it.
    module = settings.SETTINGS_MODULE or os.environ["DJANGO_SETTINGS_MODULE"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": module}
    # Not a pipe: a chatty child could fill it and stall. Closed by render_chunks.
    stderr = tempfile.TemporaryFile()  # noqa: SIM115
    child = subprocess.Popen(
        [sys.executable, "-m", "fulfillment.labels.render.subproc"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=Path(settings.BASE_DIR),
        env=env,
    )
    pickle.dump(size, child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
    child.stdin.flush()
    return child, stderr


def _failure(child: subprocess.Popen, stderr) -> ChildFailed:
    child.kill()  # it may still be alive with a broken pipe
    child.wait()
    stderr.seek(0)
    tail = stderr.read()[-2000:].decode(errors="replace")
    return ChildFailed(f"label renderer exited with {child.returncode}: {tail}")


def _read_frame(child: subprocess.Popen, stderr) -> bytes:
    head = child.stdout.read(_FRAME.size)
    body = child.stdout.read(_FRAME.unpack(head)[0]) if len(head) == _FRAME.size else b""
    if len(head) != _FRAME.size or len(body) != _FRAME.unpack(head)[0]:
        raise _failure(child, stderr)
    return body


def render_chunks(
    chunks: Sequence[Sequence[LabelData]], size: str, workers: int
) -> Iterator[bytes]:
    """The PDF of each chunk, in order, rendered by this process and `workers - 1` children.
    A child's failure raises ChildFailed; leaving early kills the children."""
    from fulfillment.labels.render.pdf import render_labels_pdf_serial

    workers = max(1, min(workers, len(chunks)))
    done: dict[int, bytes | Exception] = {}
    changed = threading.Condition()
    unclaimed = [0, len(chunks)]  # chunks from [0] to before [1] are not claimed yet

    def serve(child: subprocess.Popen, stderr) -> None:
        # One thread per child: send the next unclaimed chunk, read its PDF back, repeat. Only
        # this thread touches the child's pipes, and it writes only while the child reads.
        i = None
        try:
            _read_frame(child, stderr)  # empty: started, so chunks given to it are not held up
            while True:
                with changed:
                    if unclaimed[0] >= unclaimed[1]:
                        break
                    i = unclaimed[0]
                    unclaimed[0] += 1
                try:
                    pickle.dump(list(chunks[i]), child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                    child.stdin.flush()
                except OSError:  # the child is gone
                    raise _failure(child, stderr) from None
                pdf = _read_frame(child, stderr)
                with changed:
                    done[i] = pdf
                    changed.notify_all()
                i = None
        except Exception as error:  # handed to the caller's thread below
            with changed:
                done[i if i is not None else -1] = error
                unclaimed[1] = unclaimed[0]  # no more chunks for anyone's children
                changed.notify_all()
        finally:
            with contextlib.suppress(OSError):
                child.stdin.close()  # end of input: the child exits

    children = [_start_child(size) for _ in range(1, workers)]
    threads = [threading.Thread(target=serve, args=child, daemon=True) for child in children]
    for thread in threads:
        thread.start()
    try:
        for i in range(len(chunks)):
            while True:
                with changed:
                    if -1 in done:
                        raise done.pop(-1)
                    if i in done:
                        pdf = done.pop(i)
                        break
                    own = None
                    if unclaimed[0] < unclaimed[1]:  # rather than wait, render the next one
                        own = unclaimed[0]
                        unclaimed[0] += 1
                    else:
                        changed.wait()
                if own is not None:
                    pdf = render_labels_pdf_serial(chunks[own], size)
                    with changed:
                        done[own] = pdf
            if isinstance(pdf, Exception):
                raise pdf
            yield pdf
    finally:
        with changed:
            unclaimed[1] = unclaimed[0]
        for child, _stderr in children:
            if child.poll() is None:  # done (it was only exiting) or left early: stop it
                child.kill()
            child.wait()
        for thread in threads:
            thread.join(timeout=30)
        for child, stderr in children:
            child.stdout.close()
            stderr.close()


def main() -> None:
    import django

    django.setup()
    from fulfillment.labels.render.pdf import render_labels_pdf_serial
    from fulfillment.labels.render.weasy import weasy

    weasy()  # the stylesheet and fonts
    source, out = sys.stdin.buffer, sys.stdout.buffer
    out.write(_FRAME.pack(0))  # ready
    out.flush()
    size = pickle.load(source)
    while True:
        try:
            chunk = pickle.load(source)
        except EOFError:
            return
        pdf = render_labels_pdf_serial(chunk, size)
        out.write(_FRAME.pack(len(pdf)))
        out.write(pdf)
        out.flush()


if __name__ == "__main__":
    main()
