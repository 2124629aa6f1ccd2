"""The numpy mask choice picks exactly segno's mask, so QR codes stay ISO 18004 "lowest penalty"."""

import random
import string

import segno
from segno import encoder

from fulfillment.labels.render import qrmask


def _make(data: str, best_mask) -> segno.QRCode:
    saved = encoder.find_and_apply_best_mask
    encoder.find_and_apply_best_mask = best_mask
    try:
        return segno.make(data, error="m", micro=False)
    finally:
        encoder.find_and_apply_best_mask = saved


def test_same_mask_and_matrix_as_segno_for_many_inputs():
    rng = random.Random(5)
    alphabet = string.ascii_letters + string.digits
    samples = [
        "https://nearbox.example/t/" + "".join(rng.choices(alphabet, k=rng.randint(3, 150)))
        for _ in range(150)
    ]
    samples += ["".join(rng.choices("0123456789", k=rng.randint(5, 400))) for _ in range(50)]
    masks = set()
    for data in samples:
        ours = _make(data, qrmask.best_mask)
        theirs = _make(data, qrmask._segno_best_mask)
        assert (ours.mask, ours.matrix) == (theirs.mask, theirs.matrix), data
        masks.add(ours.mask)
    assert len(masks) >= 6  # the inputs exercise most masks, not one lucky constant


def test_installed_for_label_codes():
    from fulfillment.labels.render.codes import qr_marks

    assert encoder.find_and_apply_best_mask is qrmask.best_mask
    data = "https://nearbox.example/t/NBX0000012345"
    marks = qr_marks(data, max_size_mm=30)
    theirs = _make(data, qrmask._segno_best_mask)
    assert marks.width_modules == len(theirs.matrix) + 8
    dark = sum(w for _x, _y, w, _h in marks.rects)
    assert dark == sum(sum(row) for row in theirs.matrix)


def test_micro_and_fixed_mask_go_to_segno():
    assert segno.make("12345", micro=True).is_micro
    assert segno.make("https://nearbox.example/", mask=3, micro=False).mask == 3
