"""`make run` stays readable: font subsetting does not log at INFO, and WeasyPrint's advice to
install libharfbuzz-subset is said once per process instead of for every font of every PDF."""

from __future__ import annotations

import logging


def test_font_subsetting_logs_nothing_below_warning():
    assert not logging.getLogger("fontTools.subset").isEnabledFor(logging.INFO)
    assert not logging.getLogger("fontTools.subset.timer").isEnabledFor(logging.INFO)
    assert not logging.getLogger("weasyprint.progress").isEnabledFor(logging.INFO)


def test_the_harfbuzz_subset_fallback_warning_is_said_once_and_other_warnings_every_time(caplog):
    weasyprint = logging.getLogger("weasyprint")
    fallback = 'Using fontTools instead of HarfBuzz-Subset for font "%s". Please install it.'
    for fallback_filter in weasyprint.filters:  # other tests of this process may have said it
        fallback_filter.seen.clear()

    with caplog.at_level(logging.WARNING):
        for family in ("DejaVu Sans", "DejaVu Sans Mono", "DejaVu Sans"):
            weasyprint.warning(fallback, family)
            weasyprint.warning('Unable to subset "%s" with HarfBuzz', family)

    messages = [record.getMessage() for record in caplog.records]
    assert sum(m.startswith("Using fontTools instead") for m in messages) == 1
    assert sum(m.startswith("Unable to subset") for m in messages) == 3
