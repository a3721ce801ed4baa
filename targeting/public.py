"""The tracking beacon: POST /public/v1/track, for events the widget could not send
on its socket (the page is being hidden or unloaded). `navigator.sendBeacon` posts
`text/plain` (no CORS preflight) JSON: {"site", "token", "events"}.

Answers 204 when the valid events are stored (the refused ones are counted in the
`X-Refused-Events` header), 400 for a body that is not such an object, 403 for an
origin the site does not allow or a token not of this site, 413 above 16 KiB and 429
past the per-(IP, site) rate.
"""

from __future__ import annotations

from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ServiceError
from core.jsonutil import TooDeep, loads_bounded
from leads.public import SiteIpThrottle, SmallBodyMixin, site_for_request
from targeting import clock
from targeting.services.tracking import beacon_accept, beacon_visitor
from targeting.tracking import BadEvent, parse_events


class BeaconParser(BaseParser):
    media_type = "text/plain"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return loads_bounded(stream.read())
        except TooDeep as exc:
            raise ParseError(str(exc)) from None
        except ValueError as exc:
            raise ParseError("The beacon is not JSON.") from exc


class BeaconThrottle(SiteIpThrottle):
    setting = "BEACON_RATE"


class TrackBeaconView(SmallBodyMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [BeaconParser]
    throttle_classes = [BeaconThrottle]

    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise ParseError("Send a JSON object.")
        site = site_for_request(request, data.get("site"))
        try:
            visitor = beacon_visitor(site=site, token=data.get("token"))
        except ServiceError as exc:
            raise PermissionDenied(exc.message) from None
        # Event times on the targeting clock, like the socket's; the identify
        # signature's timestamp against real time.
        try:
            events, refused = parse_events(data.get("events"), now=clock.now())
        except BadEvent as exc:
            raise ParseError(str(exc)) from exc
        refused += beacon_accept(
            site=site, visitor=visitor, events=events, now=timezone.now()
        )
        response = Response(status=status.HTTP_204_NO_CONTENT)
        response["X-Refused-Events"] = str(len(refused))
        return response
