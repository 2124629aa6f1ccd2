from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """/favicon.ico, which browsers and crawlers ask for whatever the page's <link> says."""
    # Not permanent: the static URL carries a content hash that changes with the icon.
    return HttpResponseRedirect(static("img/favicon.ico"))
