"""The fast batch path: chunks on several processes merged in order, codes stamped as vectors
after layout, the quick parser with its fallback."""

import itertools
import logging
import multiprocessing
import re
import resource

import pytest

from fulfillment.labels.render import render_labels_pdf
from fulfillment.labels.render.parallel import MAX_CHUNK, chunk_bounds, worker_count
from fulfillment.labels.render.pdf import _labels_document, shared_tops
from fulfillment.labels.render.scan import decode_pdf
from tests.fulfillment.labels.render.samples import (
    address,
    label,
    page_info,
    pages_as_pixels,
    pdf_tool,
    squeeze,
)

FOUR_BY_SIX = "288 x 432"
A4 = "595.276 x 841.89"


def test_labels_rendered_in_two_processes_come_back_in_order_and_scan():
    labels = [label(f"NB71000000{n:02d}P", locker=n % 2 == 1) for n in range(7)]

    pdf = render_labels_pdf(labels, "4x6", workers=2)

    assert page_info(pdf) == (7, FOUR_BY_SIX)
    decoded = decode_pdf(pdf)
    for number, lab in enumerate(labels, 1):
        assert sorted(decoded[number]) == sorted(
            [("code128", lab.tracking_number), ("qr", lab.qr_payload)]
        ), f"page {number}"


def test_many_chunks_shared_from_both_ends_come_back_in_order(monkeypatch):
    # Small chunks: the worker takes them from the front, this process from the back.
    monkeypatch.setattr("fulfillment.labels.render.parallel.MAX_CHUNK", 3)
    labels = [label(f"NB79000000{n:02d}W") for n in range(20)]

    pdf = render_labels_pdf(labels, "4x6", workers=2)

    assert page_info(pdf) == (20, FOUR_BY_SIX)
    pages = pdf_tool("pdftotext", pdf).split("\f")
    assert [re.search(r"NB79\d+W", page).group() for page in pages[:20]] == [
        lab.tracking_number for lab in labels
    ]


def test_a4_sheets_are_never_split_between_processes():
    labels = [label(f"NB72000000{n:02d}Q") for n in range(9)]

    pdf = render_labels_pdf(labels, "a4", workers=2)

    assert page_info(pdf) == (3, A4)
    decoded = decode_pdf(pdf)
    assert {data for kind, data in decoded[1] if kind == "code128"} == {
        lab.tracking_number for lab in labels[:4]
    }
    assert [data for kind, data in decoded[3] if kind == "code128"] == ["NB7200000008Q"]


def test_chunks_cover_every_label_once_in_whole_pages_of_bounded_size():
    for count, workers, per_page in [(1000, 2, 1), (999, 4, 4), (5, 2, 4), (3, 2, 1)]:
        bounds = chunk_bounds(count, workers, per_page)

        assert bounds[0][0] == 0 and bounds[-1][1] == count
        assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
        assert all(start % per_page == 0 for start, _ in bounds)
        assert all(end - start <= max(MAX_CHUNK, per_page) for start, end in bounds)


def test_small_batches_stay_in_process_and_big_ones_use_the_cores():
    assert worker_count(1, None) == 1
    assert worker_count(30, None) == 1
    assert worker_count(5000, None) >= 1
    assert worker_count(3, 8) == 3  # never more processes than labels
    assert worker_count(500, 1) == 1


def test_codes_are_vectors_and_the_tracking_number_stays_text():
    pdf = render_labels_pdf([label("NB7300000003R")], "4x6")

    assert "NB7300000003R" in pdf_tool("pdftotext", pdf)
    images = pdf_tool("pdfimages", pdf, "-list").splitlines()[2:]  # two header lines
    assert images == []  # no bitmap anywhere: bars and QR modules are filled rectangles


def test_a_control_character_in_an_address_falls_back_to_the_html5_parser():
    recipient = address(name="Anna\x0bKowalska", lines=("ul. Długa 5",))

    pdf = render_labels_pdf([label("NB7400000004S", recipient=recipient)], "4x6")

    text = pdf_tool("pdftotext", pdf)
    assert "Kowalska" in text and "Długa" in text
    assert ("code128", "NB7400000004S") in decode_pdf(pdf)[1]


@pytest.mark.parametrize("bad", [0, 1])  # the worker takes the first chunk, this process the last
def test_a_label_that_cannot_be_printed_fails_the_batch_whoever_renders_it(bad):
    labels = [label("NB7500000005T"), label("NB7600000006U")]
    labels[bad] = label("NB7700000007U", qr_payload="x" * 600)

    with pytest.raises(ValueError, match="does not fit"):
        render_labels_pdf(labels, "4x6", workers=2)


def _render_in_daemon(queue) -> None:
    labels = [label(f"NB77000000{n:02d}V") for n in range(3)]
    warnings = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())
    logging.getLogger("fulfillment.labels.render.parallel").addHandler(handler)
    try:
        queue.put((page_info(render_labels_pdf(labels, "4x6", workers=2)), warnings))
    except Exception as error:  # reported to the test, which fails on it
        queue.put(repr(error))


def test_a_daemonic_process_that_may_not_fork_workers_renders_the_batch_itself():
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_render_in_daemon, args=(queue,), daemon=True)

    process.start()
    result = queue.get(timeout=120)
    process.join(timeout=30)

    pages, warnings = result
    assert pages == (3, FOUR_BY_SIX)
    assert any("workers unavailable" in message for message in warnings)


def test_rendering_a_chunk_does_not_keep_mapping_fresh_stack_memory():
    # WeasyPrint's deep layout recursion used to cross one of CPython's frame-stack chunk
    # edges over and over, mapping and faulting in a new chunk each time (~250 faults a label).
    labels = [label(f"NB78000000{n:02d}X") for n in range(30)]
    render_labels_pdf(labels, "4x6", workers=1)  # fonts, caches and the heap grown once

    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    render_labels_pdf(labels, "4x6", workers=1)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    assert faults < 30 * 50


@pytest.mark.parametrize("size", ["4x6", "a6", "a4"])  # a4: 7 labels, 2 sheets, 1 cell empty
def test_captions_and_shared_tops_drawn_from_overlay_pages_print_exactly_as_inside_labels(size):
    original = label("NB7700000001Y")
    returns = [  # three parcels back from one customer: a shared top with the RETURN banner
        original.as_return(
            tracking_number=f"NBR70000000{n}Y",
            qr_payload=f"https://nearbox.example/t/NBR70000000{n}Y",
            qr_caption="Track return",
            date=original.date,
        )
        for n in (3, 6, 7)
    ]
    labels = [
        original,
        label("NB7700000002Y", sort_code="SORT-CODE-THAT-IS-LONG / XYZ", reference="#1043-LONG"),
        returns[0],
        label("NB7700000004Y", recipient=address(name="Ayşe Doğan", city="İstanbul")),
        label("NB7700000005Y", service_name="Economy 3-5 days"),  # a top of its own
        *returns[1:],
    ]
    assert len(shared_tops(labels)) == 2  # the first, second and fourth; the returns

    drawn_over = _labels_document(labels, size, overlays=True).write_pdf()
    laid_out = _labels_document(labels, size, overlays=False).write_pdf()

    assert pages_as_pixels(drawn_over) == pages_as_pixels(laid_out)
    if size == "a4":  # four labels a sheet: count the captions over the whole document
        text = squeeze(pdf_tool("pdftotext", drawn_over))
        for caption in ("SORTCODE", "WEIGHT", "DATE", "PARCEL", "FROM"):
            assert text.count(caption) == len(labels)
        return
    pages = pdf_tool("pdftotext", drawn_over).split("\f")[: len(labels)]
    for page in pages:  # letter-spaced captions: pdftotext may see gaps between letters
        for caption in ("SORTCODE", "WEIGHT", "REF", "DATE", "PARCEL", "FROM", "TO"):
            assert caption in squeeze(page)
        assert "Sandbox Express" in page and "Nearbox Wola Warehouse" in page
