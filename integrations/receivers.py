"""What the app's signal receivers share: a receiver never raises into the sender.

The lower apps send their signals after commit from the service where the thing happened; an
error in a listener of ours (recording a webhook event, queueing a write-back) must not undo
or interrupt that work, so it is logged instead."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable


def never_raises(
    failure: str,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Log an exception of the receiver as `failure % receiver name` instead of raising it."""

    def decorate(receiver: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(receiver)
        def wrapper(*args, **kwargs) -> None:
            try:
                receiver(*args, **kwargs)
            except Exception:  # logged where the receiver lives, as before
                logging.getLogger(receiver.__module__).exception(failure, receiver.__name__)

        return wrapper

    return decorate
