from django.urls import path

from chat import views

app_name = "chat"
urlpatterns = [
    path("widget.js", views.widget_loader, name="widget-js"),
    path("widget/i18n.json", views.widget_strings, name="widget-i18n"),
    path("healthz", views.healthz, name="healthz"),
]
