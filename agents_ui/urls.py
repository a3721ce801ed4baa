from django.urls import path

from agents_ui import views

app_name = "agents_ui"
urlpatterns = [
    path("console/", views.console, name="console"),
    path("console/leads/", views.leads, name="leads"),
    path("console/login/", views.ConsoleLogin.as_view(), name="login"),
    path("console/logout/", views.ConsoleLogout.as_view(), name="logout"),
    path("demo/", views.demo_shop, name="demo"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", views.index, name="index"),
]
