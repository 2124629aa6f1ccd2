"""One way for every view to show a service's error on its form."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.forms import Form


def add_service_errors(
    form: Form, exc: Exception, *, field_of: Callable[[str], str] = lambda name: name
) -> None:
    """Put each field error of a ValidationError on that field when the form has it (else on
    top of the form); any other error goes on top with its messages."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = field_of(name)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, " ".join(getattr(exc, "messages", None) or [str(exc)]))
