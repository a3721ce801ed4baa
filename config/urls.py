from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        # No OPTIONS description: its HTML renderer needs a template for one (500).
        SpectacularSwaggerView.as_view(url_name="schema", metadata_class=None),
        name="api-docs",
    ),
    path("", include("chat.urls")),
    path("", include("leads.urls")),
    path("", include("targeting.urls")),
    path("", include("agents_ui.urls")),
]
