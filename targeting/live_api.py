"""Live visitors for counselors: who is on the site now (a socket open on any
process: targeting.presence), where, for how long, from where
(``targeting.selectors.live_visitors``); and a manual chat invitation
(``targeting.services.invitations``).

GET  /api/visitors/live/?site=<id>          counselors of the site
POST /api/visitors/<public id>/invite/      {"message": optional text}
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from chat.selectors import counselor_site_ids
from leads.models import AccessLog
from leads.services.privacy import personal_data_viewed
from targeting.selectors import counselor_visitor, live_visitors
from targeting.services.invitations import MESSAGE_MAX, invitation_send


def _profile(request):
    profile = getattr(request.user, "counselor", None)
    if profile is None:
        raise PermissionDenied("Only counselors see live visitors.")
    return profile


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def live_list(request):
    profile = _profile(request)
    site_ids = counselor_site_ids(profile)
    wanted = request.query_params.get("site")
    if wanted:
        if not wanted.isdigit() or int(wanted) not in site_ids:
            raise Http404
        site_ids = [int(wanted)]
    shown: list[int] = []
    visitors = live_visitors(site_ids=site_ids, shown=shown)
    personal_data_viewed(
        request=request,
        action=AccessLog.Action.VISITORS,
        site_id=site_ids[0] if len(site_ids) == 1 else None,
        visitor_ids=shown,
    )
    return Response({"visitors": visitors})


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["POST"])
def invite(request, public_id):
    """A counselor invites a live visitor to chat: an `offer` frame (chat_invite)
    from the counselor, on every socket of the visitor."""
    profile = _profile(request)
    visitor = counselor_visitor(counselor=profile, public_id=public_id)
    if visitor is None:
        raise Http404
    message = request.data.get("message") or None
    if message is not None and (
        not isinstance(message, str) or len(message) > MESSAGE_MAX
    ):
        raise ValidationError({"message": "At most 500 characters of text."})
    offer = invitation_send(counselor=profile, visitor=visitor, message=message)
    return Response({"offer": offer.pk}, status=status.HTTP_201_CREATED)
