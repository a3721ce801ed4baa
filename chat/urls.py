from django.urls import include, path
from rest_framework.routers import DefaultRouter

from chat import api, views

router = DefaultRouter()
router.register("conversations", api.ConversationViewSet, basename="conversation")

app_name = "chat"
urlpatterns = [
    path("widget.js", views.widget_loader, name="widget-js"),
    path("widget/i18n.json", views.widget_strings, name="widget-i18n"),
    path("healthz", views.healthz, name="healthz"),
    path("api/", include(router.urls)),
]
