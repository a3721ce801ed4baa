from django.urls import path

from chat.consumers.agent import AgentConsumer
from chat.consumers.visitor import VisitorConsumer

websocket_urlpatterns = [
    path("ws/visitor/", VisitorConsumer.as_asgi()),
    path("ws/agent/", AgentConsumer.as_asgi()),
]
