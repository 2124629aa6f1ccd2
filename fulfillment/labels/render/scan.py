"""Proof that printed codes scan: rasterise a PDF like a 203 dpi thermal head and decode it
with zbar, a real barcode decoder (poppler-utils' pdftoppm and zbar-tools' zbarimg, installed
by scripts/test-services.sh). Used by the tests and the benchmark, never in a request.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from fulfillment.labels.render.codes import PRINTER_DPI

ZBAR_TYPES = {"CODE-128": "code128", "QR-Code": "qr"}


def rasterise(source: Path, out_prefix: Path, *, page: int | None = None) -> list[Path]:
    """PNG files of every page (or one page, 1-based) at the printer's resolution, in order."""
    command = ["pdftoppm", "-r", str(PRINTER_DPI), "-png"]
    if page is not None:
        command += ["-f", str(page), "-l", str(page)]
    subprocess.run([*command, str(source), str(out_prefix)], check=True, timeout=600)
    images = out_prefix.parent.glob(f"{out_prefix.name}-*.png")
    return sorted(images, key=lambda path: int(path.stem.rsplit("-", 1)[1]))


def decode_image(image: Path) -> list[tuple[str, str]]:
    """(symbology, data) of every code zbarimg finds in the image: 'code128' or 'qr'."""
    result = subprocess.run(
        ["zbarimg", "-q", str(image)], capture_output=True, text=True, timeout=60
    )
    if result.returncode not in (0, 4):  # 4: no symbol found, which the caller reports
        raise RuntimeError(f"zbarimg failed on {image.name}: {result.stderr.strip()}")
    found = []
    for line in result.stdout.splitlines():
        kind, _, data = line.partition(":")
        found.append((ZBAR_TYPES.get(kind, kind), data))
    return found


def decode_pdf(pdf: bytes, *, pages: list[int] | None = None) -> dict[int, list[tuple[str, str]]]:
    """Codes decoded per page (1-based page number -> [(symbology, data)])."""
    decoded: dict[int, list[tuple[str, str]]] = {}
    with tempfile.TemporaryDirectory(prefix="nearbox-scan-") as tmp:
        source = Path(tmp) / "labels.pdf"
        source.write_bytes(pdf)
        if pages is None:
            for number, image in enumerate(rasterise(source, Path(tmp) / "page"), 1):
                decoded[number] = decode_image(image)
        else:
            for number in pages:
                (image,) = rasterise(source, Path(tmp) / f"p{number}", page=number)
                decoded[number] = decode_image(image)
    return decoded
