"""HTTP endpoints of the widget: the loader script and its translated strings."""

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from chat.widget_strings import widget_catalog

WIDGET_FRAGMENTS = "chat/widget"
_widget_bundle: tuple[bytes, str] | None = None


def _widget_part(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".js":
        return text
    # A stylesheet becomes a string constant of the script (`80-text.css` ->
    # CSS_TEXT) for the Shadow DOM: still one request, and CSS kept as CSS.
    name = "CSS_" + path.stem.split("-", 1)[1].upper().replace("-", "_")
    comment = f"  // {path.name}, inlined by chat.views.widget_source."
    return f"{comment}\n  const {name} = {json.dumps(text)};\n"


def widget_source() -> tuple[bytes, str]:
    """The loader's text and its strong ETag: its fragments `NN-name.js` and
    stylesheets `NN-name.css` (as `const CSS_NAME = "..."`) joined in name order.
    Read once per process; on every call under DEBUG, so edits show on reload."""
    global _widget_bundle
    if _widget_bundle is None or settings.DEBUG:
        folder = Path(finders.find(WIDGET_FRAGMENTS))
        files = [*folder.glob("*.js"), *folder.glob("*.css")]
        parts = [_widget_part(f) for f in sorted(files, key=lambda f: f.name)]
        body = "\n".join(part.rstrip("\n") + "\n" for part in parts).encode()
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        _widget_bundle = (body, etag)
    return _widget_bundle


@require_safe
@cache_control(public=True, max_age=300)
def widget_loader(request):
    """The embeddable loader, served at a stable top-level URL (`/widget.js`)."""
    body, etag = widget_source()
    response = HttpResponse(body, content_type="text/javascript")
    response["ETag"] = etag
    # 304 when the browser's copy is current (If-None-Match).
    response = get_conditional_response(request, etag=etag, response=response)
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
