"""Pages: the counselor console, its login, and the demo shop embedding the widget."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
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
    origin = request.GET.get("server") or f"{request.scheme}://{request.get_host()}"
    return render(
        request,
        "agents_ui/demo.html",
        {"site": site, "widget_origin": origin.rstrip("/")},
    )
