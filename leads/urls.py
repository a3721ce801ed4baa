from django.urls import include, path
from rest_framework.routers import DefaultRouter

from leads import api, public

router = DefaultRouter()
router.register("leads", api.LeadViewSet, basename="lead")

app_name = "leads"
urlpatterns = [
    path("public/v1/lead-form", public.LeadFormView.as_view(), name="lead-form"),
    path("public/v1/leads", public.LeadSubmitView.as_view(), name="lead-submit"),
    path("api/", include(router.urls)),
]
