"""HTTP endpoints of the widget: the loader script and its translated strings."""

from django.contrib.staticfiles import finders
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from chat.widget_strings import widget_catalog


@require_safe
@cache_control(public=True, max_age=300)
def widget_loader(request):
    """The embeddable loader, served at a stable top-level URL (`/widget.js`)."""
    path = finders.find("chat/widget.js")
    with open(path, encoding="utf-8") as handle:
        response = HttpResponse(handle.read(), content_type="text/javascript")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
@cache_control(public=True, max_age=300)
def widget_strings(request):
    """The widget's strings in the language asked for (ko/en), via Django i18n."""
    wanted = (request.GET.get("lang") or "").lower()[:10]
    language = "ko" if wanted.startswith("ko") else "en"
    with translation.override(language):
        response = JsonResponse({"language": language, "strings": widget_catalog()})
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
