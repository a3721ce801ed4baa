"""The visitor's journey for counselors: visits with their inflow, the pages of each
with dwell, cart, purchases, CRM attributes, offers and past conversations.

Served at GET /api/visitors/<public id>/journey/ to counselors of the visitor's site;
the console shows it beside the chat. Read by ``targeting.selectors.visitor_journey``.
Also the tracking counters (GET /api/targeting/tracking/).
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from leads.models import AccessLog
from leads.services.privacy import personal_data_viewed
from targeting.selectors import counselor_visitor, visitor_journey


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def journey(request, public_id):
    profile = getattr(request.user, "counselor", None)
    if profile is None:
        raise PermissionDenied("Only counselors see visitors' journeys.")
    visitor = counselor_visitor(counselor=profile, public_id=public_id)
    if visitor is None:
        raise Http404
    body = visitor_journey(visitor=visitor)
    personal_data_viewed(
        request=request,
        action=AccessLog.Action.JOURNEY,
        site_id=visitor.site_id,
        visitor_ids=[visitor.pk],
    )
    return Response(body)


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def tracking_stats(request):
    """Tracking events accepted and refused (malformed, unverified), all processes."""
    if getattr(request.user, "counselor", None) is None:
        raise PermissionDenied("Only counselors and managers.")
    from targeting.writer import counters

    return Response(counters())
