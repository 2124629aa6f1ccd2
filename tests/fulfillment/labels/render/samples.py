"""Small builders of label data for the label tests (plain dataclasses, no database)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tempfile
from pathlib import Path

from fulfillment.labels.render import LabelAddress, LabelData, PackingSlipData, PackingSlipLine

WHEN = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)
WAREHOUSE = LabelAddress(
    name="Nearbox Wola Warehouse",
    lines=("ul. Kolejowa 12",),
    city="Warszawa",
    postal_code="01-217",
    country="PL",
)


def address(name="Emily Johnson", lines=("1200 W Fulton Market",), city="Chicago", **extra):
    values = {"state": "IL", "postal_code": "60607", "country": "US", "phone": "+1 312 555 0101"}
    values.update(extra)
    return LabelAddress(name=name, lines=tuple(lines), city=city, **values)


def label(tracking="NB4820193746K", *, recipient=None, locker=False, **extra) -> LabelData:
    values = {
        "tracking_number": tracking,
        "courier_name": "Sandbox Express",
        "service_name": "Locker 48h" if locker else "Next day",
        "sender": WAREHOUSE,
        "recipient": recipient or address(),
        "weight_g": 1250,
        "reference": "#1043",
        "date": WHEN,
        "qr_payload": "4821-7730" if locker else f"https://nearbox.example/t/{tracking}",
        "qr_caption": "Pickup code 4821-7730" if locker else "Track this parcel",
        "sort_code": "606-07 / WLW",
    }
    values.update(extra)
    return LabelData(**values)


def slip(lines: int = 3, reference: str = "#1043") -> PackingSlipData:
    return PackingSlipData(
        reference=reference,
        date=WHEN,
        sender=WAREHOUSE,
        recipient=address(),
        lines=tuple(
            PackingSlipLine(sku=f"SKU-{n:03d}", name=f"Ceramic mug model {n}", quantity=n % 4 + 1)
            for n in range(1, lines + 1)
        ),
    )


def pdf_tool(tool: str, pdf: bytes, *args: str) -> str:
    """Output of a poppler tool (pdftotext, pdfinfo, pdffonts) run on the PDF bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        command = [tool, *args, str(path)] + (["-"] if tool == "pdftotext" else [])
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def page_info(pdf: bytes) -> tuple[int, str]:
    info = pdf_tool("pdfinfo", pdf)
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    size = re.search(r"^Page size:\s+(.+?)\s+pts", info, re.M).group(1)
    return pages, size


def squeeze(text: str) -> str:
    """Text without any whitespace: wrapping may break a line anywhere, never drop a letter."""
    return re.sub(r"\s+", "", text)


def pages_as_pixels(pdf: bytes) -> list[bytes]:
    """Each page of `pdf` as a 203 dpi greyscale bitmap (pdftoppm), to compare prints."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "203", "-gray", str(path), f"{tmp}/p"], check=True)
        return [page.read_bytes() for page in sorted(Path(tmp).glob("p-*.pgm"))]
