from django.urls import path

from targeting import public

app_name = "targeting"
urlpatterns = [
    path("public/v1/track", public.TrackBeaconView.as_view(), name="track-beacon"),
]
