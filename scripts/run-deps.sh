#!/usr/bin/env bash
# System libraries the app itself needs at run time (WeasyPrint renders PDFs with Pango),
# installed with apt when missing. Used by `make run` and by scripts/test-services.sh.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# libharfbuzz-subset too: without it WeasyPrint subsets fonts with fontTools, slower and with a
# warning for every font of every PDF.
if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || ! ldconfig -p | grep -q 'libharfbuzz-subset.so.0'; then
  echo "run-deps: installing Pango and HarfBuzz-Subset for PDF rendering"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null
fi
# Label fonts for text outside Latin-1 (DejaVu already covers Polish and Turkish):
# Droid Sans Fallback for CJK (1.8 MB download), Symbola for emoji in black (1.3 MB; thermal
# printers are monochrome, so the 10 MB colour emoji font would only be dithered).
if [ ! -e /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] \
  || [ ! -e /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ]; then
  echo "run-deps: installing label fonts (CJK, emoji)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    fonts-droid-fallback fonts-symbola >/dev/null
fi
