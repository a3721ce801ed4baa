import os

from django.core.asgi import get_asgi_application

os.environ.setdefault(
    "DJANGO_SETTINGS_MODULE", "bench.baselines.tutorial_channels.settings"
)
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from bench.baselines.tutorial_channels.consumers import (  # noqa: E402
    AgentConsumer,
    VisitorConsumer,
)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            URLRouter(
                [
                    path("ws/visitor/", VisitorConsumer.as_asgi()),
                    path("ws/agent/", AgentConsumer.as_asgi()),
                ]
            )
        ),
    }
)
