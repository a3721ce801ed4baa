"""Pages: the counselor console, the managers' lead list, the login, and the demo shop
embedding the widget."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseForbidden
from django.http.request import validate_host
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse

from chat.models import CounselorProfile, Site
from chat.selectors import counselor_for_user
from leads.models import Lead
from leads.services.pipeline import TRANSITIONS


class ConsoleLogin(auth_views.LoginView):
    template_name = "agents_ui/login.html"
    redirect_authenticated_user = True


class ConsoleLogout(auth_views.LogoutView):
    pass


def index(request):
    return redirect("agents_ui:demo")


def _favicon_bytes() -> bytes:
    """A 32x32 icon (the console's blue, rounded): an ICO holding one PNG, made here
    so no binary file needs keeping."""
    import struct
    import zlib

    size, radius = 32, 7
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            dx = max(radius - x, x - (size - 1 - radius), 0)
            dy = max(radius - y, y - (size - 1 - radius), 0)
            inside = dx * dx + dy * dy <= radius * radius
            row += bytes((37, 99, 235, 255) if inside else (0, 0, 0, 0))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


FAVICON = _favicon_bytes()


def favicon(request):
    """/favicon.ico, which browsers ask for on every page (a 404 in every log)."""
    response = HttpResponse(FAVICON, content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@login_required
def console(request):
    counselor = counselor_for_user(request.user)
    if counselor is None:
        return HttpResponseForbidden("This account is not a counselor.")
    # Times are shown in the site's zone (the first of the counselor's sites when
    # they have several), each labelled with it.
    first_site = counselor.sites.order_by("pk").first()
    config = {
        "timeZone": first_site.zone.key if first_site else "UTC",
        "socket": "/ws/agent/",
        "me": {"id": counselor.pk, "name": counselor.display_name},
        "heartbeat": settings.CHAT["HEARTBEAT_SECONDS"],
        "maxTextChars": settings.CHAT["MAX_TEXT_CHARS"],
        "loginUrl": reverse("agents_ui:login"),
        "debug": settings.DEBUG,  # window.consoleApp for the browser tests
    }
    return render(request, "agents_ui/console.html", {"config": config})


@login_required
def leads(request):
    """The lead list. Everything on it comes from /api/leads/; the page only needs
    who is looking, their sites and the colleagues a lead can be assigned to."""
    counselor = counselor_for_user(request.user)
    if counselor is None:
        return HttpResponseForbidden("This account is not a counselor.")
    sites = list(counselor.sites.order_by("name").values("id", "name", "time_zone"))
    memberships = CounselorProfile.sites.through.objects.filter(
        site_id__in=[site["id"] for site in sites]
    ).values_list("counselorprofile_id", "counselorprofile__display_name", "site_id")
    colleagues: dict[int, dict] = {}
    for pk, name, site_id in memberships:
        colleague = colleagues.setdefault(pk, {"id": pk, "name": name, "sites": []})
        colleague["sites"].append(site_id)
    config = {
        "api": reverse("leads:lead-list"),
        "consoleUrl": reverse("agents_ui:console"),
        "loginUrl": reverse("agents_ui:login"),
        # The header is the fallback: the cookie is read first (a login in another
        # tab rotates the token).
        "csrfToken": get_token(request),
        "me": {
            "id": counselor.pk,
            "name": counselor.display_name,
            "manager": counselor.role == CounselorProfile.Role.MANAGER,
        },
        "sites": sites,
        "counselors": sorted(colleagues.values(), key=lambda c: c["name"]),
        "statuses": [
            {"value": v, "label": str(label)} for v, label in Lead.Status.choices
        ],
        "sources": [
            {"value": v, "label": str(label)} for v, label in Lead.Source.choices
        ],
        "transitions": {k: sorted(v) for k, v in TRANSITIONS.items()},
        "debug": settings.DEBUG,  # window.leadsApp
    }
    return render(
        request,
        "agents_ui/leads.html",
        {"config": config, "manager": config["me"]["manager"]},
    )


def demo_shop(request):
    """A small shop page that embeds the widget exactly as a customer site would."""
    site = Site.objects.filter(name="Demo shop").first() or Site.objects.first()
    return render(
        request,
        "agents_ui/demo.html",
        {"site": site, "widget_origin": _widget_origin(request)},
    )


def _widget_origin(request) -> str:
    """Where the demo loads the widget from: this server, or `?server=` naming one of
    our own hosts (127.0.0.1 vs localhost: a second origin). Anything else is ignored,
    so the page cannot be made to run a foreign script on our origin."""
    own = f"{request.scheme}://{request.get_host()}"
    wanted = urlsplit(request.GET.get("server", ""))
    if (
        wanted.scheme in {"http", "https"}
        and wanted.hostname
        and not wanted.path.strip("/")
    ):
        if validate_host(wanted.hostname, settings.ALLOWED_HOSTS):
            return f"{wanted.scheme}://{wanted.netloc}"
    return own
