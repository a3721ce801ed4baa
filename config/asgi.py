import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.urls import path  # noqa: E402

from chat.consumers.agent import AgentConsumer  # noqa: E402
from chat.consumers.gate import AdmissionGate  # noqa: E402
from chat.consumers.visitor import VisitorConsumer  # noqa: E402

# Origins are checked per socket (visitor: the site's allowed origins; counselor:
# same origin), so no global AllowedHostsOriginValidator here. Only the counselor
# socket needs the session: visitors are identified by their signed token, and
# skipping the session lookup saves a query and memory per visitor connection.
application = ProtocolTypeRouter(
    {
        "http": ASGIStaticFilesHandler(django_asgi_app),
        "websocket": URLRouter(
            [
                # The gate bounds visitor resumes in progress (chat/admission.py);
                # counselors are never held there.
                path("ws/visitor/", AdmissionGate(VisitorConsumer.as_asgi())),
                path("ws/agent/", AuthMiddlewareStack(AgentConsumer.as_asgi())),
            ]
        ),
    }
)

# Everything imported so far lives as long as the process: keep it out of the
# collector's full scans, which with thousands of sockets paused the server for
# hundreds of ms (bench/relay.py --gc-freeze, docs/benchmarks.md).
gc.freeze()
