"""The 4x6 label as native ZPL II for 203 dpi thermal printers (812 x 1218 dots).

Text, Code128 (^BC) and QR (^BQ) are printer commands, not an embedded image, so a label is
about 1.5 KB and prints at the printer's full resolution. Every ^FD is sent with ^FH and
UTF-8 hex escapes (^CI28), which keeps the file pure ASCII whatever the transport does.
Fonts: ^A0 (built in) for Latin-1 text; text with other characters uses font J, mapped with
^CW to Zebra's Swiss 721 Unicode font (E:TT0003M_.FNT, on Link-OS printers), and CJK text
font K, mapped to the Andale Asian font (E:ANMDJ.TTF, Zebra's Asian font kit). Zebra fonts
have no emoji: a ZPL label prints those as a missing-glyph box, so use the PDF for them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fulfillment.labels.render.codes import QR_QUIET_MODULES, code128_modules
from fulfillment.labels.render.data import LabelData, LabelError
from fulfillment.labels.render.fit import display_width, shorten_middle, size_step, wrap

WIDTH, HEIGHT, MARGIN = 812, 1218, 30
TEXT_WIDTH = WIDTH - 2 * MARGIN
BARCODE_MODULE = 3  # dots; falls back to 2 when the tracking number is long
BARCODE_HEIGHT = 150  # dots = 18.8 mm
QR_MAGNIFICATION = 5  # dots per module
QR_BOX = 200  # dots for the QR itself; its quiet zone is kept clear around it
# Byte-mode capacity of QR versions 1-10 at error level M: the printer picks the version, we
# only need its size to place the symbol (segno would cost more than the whole ZPL label).
QR_M_BYTES = (14, 26, 42, 62, 84, 106, 122, 152, 180, 213)

FIELD = re.compile(r"\^FH_?\^FD(.*?)\^FS", re.S)
# Characters a ^FH field cannot carry as they are: ZPL's command prefixes, its hex indicator
# and everything outside ASCII (sent as UTF-8 bytes, ^CI28).
_UNSAFE = re.compile(r"[\^~_\\]|[^\x00-\x7f]+")


def _escape(match: re.Match) -> str:
    return "".join(f"_{b:02X}" for b in match.group().encode("utf-8"))


def _hex(text: str) -> str:
    """Field data for ^FH: command characters and non-ASCII as UTF-8 '_XX' escapes."""
    return _UNSAFE.sub(_escape, text)


def _font(text: str, height: int, width: int | None = None) -> str:
    width = width or height
    if text.isascii() or max(text) < "\u0100":
        return f"^A0N,{height},{width}"
    if display_width(text) > len(text):  # wide (CJK) characters
        return f"^AKN,{height},{width}"
    return f"^AJN,{height},{width}"


def _block(x: int, y: int, lines: Sequence[str], height: int, width: int = TEXT_WIDTH):
    """A wrapped text block: (ZPL, height used in dots). ^FB overprints its last line when the
    text needs more lines than allowed, so the line budget is counted here, with room to spare."""
    chars_per_line = max(8, int(width / (height * 0.55)))
    count = sum(len(wrap(line, chars_per_line)) or 1 for line in lines)
    text = "\\&".join(_hex(line) for line in lines)
    joined = " ".join(lines)
    zpl = f"^FO{x},{y}{_font(joined, height)}^FB{width},{count + 1},2,L^FH_^FD{text}^FS"
    return zpl, count * (height + 2)


def _qr_modules(payload: str) -> int:
    size = len(payload.encode("utf-8"))
    version = next((v for v, cap in enumerate(QR_M_BYTES, 1) if size <= cap), None)
    if version is None:
        raise LabelError("qr_payload", f"{size} bytes do not fit a label's QR code")
    return 17 + 4 * version


def _label(label: LabelData) -> str:
    ship_from, ship_to = label.ship_from, label.ship_to
    out = ["^XA^CI28^PW812^LL1218^LH0,0^CWJ,E:TT0003M_.FNT^CWK,E:ANMDJ.TTF"]
    y = MARGIN
    if label.is_return:
        out.append(f"^FO0,{y - 10}^GB{WIDTH},76,76^FS")
        out.append(f"^FO0,{y}^A0N,58,58^FB{WIDTH},1,0,C^FR^FDRETURN^FS")
        y += 80
    out.append(
        f"^FO{MARGIN},{y}{_font(label.courier_name, 44, 40)}^FH_^FD{_hex(label.courier_name)}^FS"
    )
    out.append(
        f"^FO380,{y}{_font(label.service_name, 30, 28)}^FB402,2,0,R"
        f"^FH_^FD{_hex(label.service_name)}^FS"
    )
    y += 70
    out.append(f"^FO{MARGIN},{y}^GB{TEXT_WIDTH},4,4^FS")
    y += 12

    out.append(f"^FO{MARGIN},{y}^A0N,20,20^FDFROM^FS")
    y += 24
    from_lines = [
        ship_from.name,
        *ship_from.lines,
        f"{ship_from.city_line} · {ship_from.country.upper()}",
    ]
    zpl, used = _block(MARGIN, y, from_lines, 24)
    out.append(zpl)
    y += used + 8
    out.append(f"^FO{MARGIN},{y}^GB{TEXT_WIDTH},2,2^FS")
    y += 12

    out.append(f"^FO{MARGIN},{y}^A0N,22,22^FDTO^FS")
    y += 28
    name_height = (58, 48, 40, 32)[size_step(ship_to.name, (22, 30, 40))]
    zpl, used = _block(MARGIN, y, [ship_to.name], name_height)
    out.append(zpl)
    y += used + 8
    longest = max((ship_to.city_line, *ship_to.lines), key=display_width)
    address_height = (40, 34, 28, 24)[size_step(longest, (30, 40, 52))]
    to_lines = [*ship_to.lines, ship_to.city_line, ship_to.country_name]
    if ship_to.phone:
        to_lines.append(f"Tel. {ship_to.phone}")
    zpl, _ = _block(MARGIN, y, to_lines, address_height)
    out.append(zpl)

    # Bottom half at fixed positions, as on the PDF label.
    out.append(f"^FO{MARGIN},640^GB{TEXT_WIDTH},4,4^FS")
    out.append(f"^FO{MARGIN},660^A0N,20,20^FDSORT CODE^FS")
    sort_height = 72 if display_width(label.sort_code) <= 14 else 52
    out.append(
        f"^FO{MARGIN},690^A0N,{sort_height},{sort_height - 8}^FB520,2,0,L"
        f"^FH_^FD{_hex(label.sort_code or '-')}^FS"
    )
    qr_modules = _qr_modules(label.qr_payload)
    magnification = max(2, min(QR_MAGNIFICATION, QR_BOX // qr_modules))
    qr_x = WIDTH - MARGIN - QR_QUIET_MODULES * magnification - qr_modules * magnification
    out.append(f"^FO{qr_x},650^BQN,2,{magnification}^FH_^FDMA,{_hex(label.qr_payload)}^FS")
    out.append(
        f"^FO{WIDTH - MARGIN - 270},868{_font(label.qr_caption, 18)}^FB270,1,0,C"
        f"^FH_^FD{_hex(label.qr_caption)}^FS"
    )
    out.append(f"^FO{MARGIN},892^GB{TEXT_WIDTH},2,2^FS")
    facts = [
        ("WEIGHT", label.weight_text, 30, 190),
        ("REF", label.reference, 230, 200),
        ("DATE", label.date.strftime("%Y-%m-%d"), 440, 190),
        ("PARCEL", f"{label.parcel_index} of {label.parcel_count}", 640, 142),
    ]
    for caption, value, x, width in facts:
        out.append(f"^FO{x},902^A0N,18,18^FD{caption}^FS")
        if caption == "REF" and display_width(value) > REF_LINE:
            out.append(_long_reference(value, x, width))
            continue
        out.append(f"^FO{x},924{_font(value, 30, 26)}^FB{width},2,0,L^FH_^FD{_hex(value)}^FS")
    out.append(f"^FO{MARGIN},962^GB{TEXT_WIDTH},2,2^FS")

    modules = len(code128_modules(label.tracking_number)) + 20  # with 10-module quiet zones
    module = BARCODE_MODULE if modules * BARCODE_MODULE <= WIDTH - 20 else 2
    if modules * module > WIDTH:
        raise LabelError("tracking_number", "too long for a Code128 on a 4-inch label")
    x = (WIDTH - modules * module) // 2 + 10 * module
    out.append(
        f"^FO{x},988^BY{module},3,{BARCODE_HEIGHT}^BCN,{BARCODE_HEIGHT},N,N,N,A"
        f"^FH_^FD{_hex(label.tracking_number)}^FS"
    )
    out.append(
        f"^FO0,{988 + BARCODE_HEIGHT + 12}^A0N,36,32^FB{WIDTH},1,0,C"
        f"^FH_^FD{_hex(label.tracking_number)}^FS"
    )
    out.append("^XZ")
    return "\n".join(out)


REF_LINE = 11  # characters of the reference at full size; longer ones are set smaller


def _long_reference(reference: str, x: int, width: int) -> str:
    """A long reference in two small lines between the facts' rules (924-960 dots), shortened
    in the middle: ^FB would overprint its last line, and the barcode starts at 988."""
    text = shorten_middle(reference, 2 * REF_LINE + 2)
    half = len(text) - len(text) // 2
    lines = [part for part in (text[:half], text[half:]) if part]
    data = "\\&".join(_hex(line) for line in lines)
    return f"^FO{x},924{_font(text, 18, 16)}^FB{width},2,0,L^FH_^FD{data}^FS"


def render_labels_zpl(labels: Sequence[LabelData]) -> str:
    """One ^XA...^XZ format per label, in order, for a 203 dpi 4x6 printer."""
    if not labels:
        raise LabelError("labels", "nothing to print: the selection has no labels")
    return "\n".join(_label(label) for label in labels) + "\n"


def _unhex(data: str) -> str:
    return re.sub(
        r"((?:_[0-9A-F]{2})+)",
        lambda m: bytes.fromhex(m.group(1).replace("_", "")).decode("utf-8"),
        data,
    )


def zpl_structure(zpl: str) -> dict:
    """What a ZPL file holds, for tests and checks: format count (^XA/^XZ pairs), the Code128
    and QR fields with their decoded data, and every text field."""
    formats = re.findall(r"\^XA(.*?)\^XZ", zpl, re.S)
    barcodes, qrs, texts = [], [], []
    for body in formats:
        for command in re.split(r"(?=\^FO)", body):
            raw = [m.group(1) for m in FIELD.finditer(command)]
            raw = raw or re.findall(r"\^FD(.*?)\^FS", command)
            if "^BC" in command:
                barcodes.extend(_unhex(field) for field in raw)
            elif "^BQ" in command:
                qrs.extend(_unhex(field).split(",", 1)[1] for field in raw)
            else:
                texts.extend("\n".join(map(_unhex, field.split("\\&"))) for field in raw)
    return {
        "formats": len(formats),
        "starts": zpl.count("^XA"),
        "ends": zpl.count("^XZ"),
        "utf8": all("^CI28" in body for body in formats),
        "code128": barcodes,
        "qr": qrs,
        "text": texts,
        "ascii_only": zpl.isascii(),
    }
