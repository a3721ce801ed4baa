from django.urls import include, path
from rest_framework.routers import SimpleRouter

from targeting import api, journey, live_api, public

# SimpleRouter: leads' DefaultRouter already serves the /api/ root view.
router = SimpleRouter()
router.register("targeting/rules", api.RuleViewSet, basename="rule")

app_name = "targeting"
urlpatterns = [
    path("public/v1/track", public.TrackBeaconView.as_view(), name="track-beacon"),
    path("api/visitors/live/", live_api.live_list, name="live-visitors"),
    path("api/visitors/<uuid:public_id>/journey/", journey.journey, name="journey"),
    path("api/visitors/<uuid:public_id>/invite/", live_api.invite, name="invite"),
    path("api/targeting/tracking/", journey.tracking_stats, name="tracking-stats"),
    path("api/", include(router.urls)),
]
