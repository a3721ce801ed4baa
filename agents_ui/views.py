"""Pages: the counselor console, its login, and the demo shop embedding the widget."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.http.request import validate_host
from django.shortcuts import redirect, render
from django.urls import reverse

from chat.models import Site
from chat.selectors import counselor_for_user


class ConsoleLogin(auth_views.LoginView):
    template_name = "agents_ui/login.html"
    redirect_authenticated_user = True


class ConsoleLogout(auth_views.LogoutView):
    pass


def index(request):
    return redirect("agents_ui:demo")


@login_required
def console(request):
    counselor = counselor_for_user(request.user)
    if counselor is None:
        return HttpResponseForbidden("This account is not a counselor.")
    config = {
        "socket": "/ws/agent/",
        "me": {"id": counselor.pk, "name": counselor.display_name},
        "heartbeat": settings.CHAT["HEARTBEAT_SECONDS"],
        "maxTextChars": settings.CHAT["MAX_TEXT_CHARS"],
        "loginUrl": reverse("agents_ui:login"),
    }
    return render(request, "agents_ui/console.html", {"config": config})


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
