"""Chunks rendered by child processes (the batch job's path inside a daemonic Celery worker)."""

import multiprocessing
import pickle
import threading

import pytest

from fulfillment.labels.render import pdf, subproc
from fulfillment.labels.render.merge import join_pages, read_pages
from fulfillment.labels.render.scan import decode_pdf
from fulfillment.labels.render.subproc import ChildFailed, render_chunks
from tests.fulfillment.labels.render.samples import label


def merge_pdfs(pdfs: list[bytes], title: str) -> bytes:
    """The chunks' PDFs as one, the way a batch joins them."""
    return join_pages([read_pages(pdf) for pdf in pdfs], title)


def _codes(pdf: bytes) -> list[str]:
    return [dict(found)["code128"] for _, found in sorted(decode_pdf(pdf).items())]


def test_chunks_shared_with_a_child_come_back_in_order_and_scan():
    labels = [label(f"NB81000000{n:02d}P", locker=n % 2 == 1) for n in range(5)]
    chunks = [labels[0:2], labels[2:4], labels[4:5]]  # whoever is free takes the next one

    pdfs = list(render_chunks(chunks, "4x6", workers=2))

    assert len(pdfs) == 3
    assert _codes(merge_pdfs(pdfs, "Shipping labels")) == [lab.tracking_number for lab in labels]


def test_a_childs_failure_fails_the_batch_with_its_error(monkeypatch):
    chunks = [[label("NB8200000001T")], [label("NB8200000002U", qr_payload="x" * 600)]]
    # This process takes the first chunk at once (the child is still starting) and, to leave
    # the second one to the child, finishes it only once the child has been given that one.
    given = threading.Event()
    send = pickle.dump
    render = pdf.render_labels_pdf_serial

    def send_and_tell(obj, *args, **kwargs):
        send(obj, *args, **kwargs)
        if isinstance(obj, list):  # a chunk (the first message is the size)
            given.set()

    def render_after_the_child_has_one(*args):
        assert given.wait(timeout=60)
        return render(*args)

    monkeypatch.setattr(subproc.pickle, "dump", send_and_tell)
    monkeypatch.setattr(pdf, "render_labels_pdf_serial", render_after_the_child_has_one)

    with pytest.raises(ChildFailed, match="does not fit"):
        list(render_chunks(chunks, "4x6", workers=2))


def test_a_failure_in_this_process_stops_the_children():
    chunks = [[label("NB8200000003V", qr_payload="x" * 600)], [label("NB8200000004V")]]

    with pytest.raises(ValueError, match="does not fit"):
        list(render_chunks(chunks, "4x6", workers=2))  # this process takes the first chunk


def _in_daemon(queue) -> None:
    labels = [label(f"NB83000000{n:02d}K") for n in range(4)]
    pdfs = list(render_chunks([labels[:2], labels[2:]], "4x6", workers=2))
    queue.put(_codes(merge_pdfs(pdfs, "Shipping labels")))


def test_a_daemonic_process_renders_with_a_child_process():
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_in_daemon, args=(queue,), daemon=True)
    process.start()
    codes = queue.get(timeout=120)
    process.join(timeout=30)
    assert codes == [f"NB83000000{n:02d}K" for n in range(4)]


def test_collections_are_rarer_while_rendering_and_restored_after():
    import gc

    from fulfillment.labels.render.runtime import fewer_collections

    before = gc.get_threshold()
    with fewer_collections():
        with fewer_collections():  # nested (a chunk inside a batch) keeps the outer setting
            assert gc.get_threshold()[0] == 50_000
        assert gc.get_threshold()[0] == 50_000
    assert gc.get_threshold() == before
