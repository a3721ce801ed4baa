"""The public, cross-origin endpoints the widget (or a site's own page) calls:

- GET  /public/v1/lead-form?site=<key>&lang=ko : availability, callback slots and
  the privacy notice;
- POST /public/v1/leads : a callback request. 201 with a receipt once the lead is
  committed (200 for a replay of the same idempotency key), 400 with per-field
  messages in the visitor's language, 403 for an origin the site does not allow,
  413 for an oversized body, 429 past the per-(IP, site) rate.

No session and no CSRF: nothing here acts on a logged-in user's behalf.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import timezone, translation
from rest_framework import status
from rest_framework.exceptions import (
    APIException,
    NotFound,
    ParseError,
    PermissionDenied,
)
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from chat.models import Site
from chat.services.visitors import site_by_key
from leads import events
from leads.forms import FormInvalid, clean_callback
from leads.hours import callback_slots
from leads.models import Lead
from leads.notice import notice_payload
from leads.phonerule import phone_rule
from leads.services.availability import (
    lead_settings_for,
    schedule_load,
    site_availability,
)
from leads.services.capture import callback_request_submit, slot_is_valid
from leads.services.privacy import client_ip

MAX_BODY_BYTES = 16_384
PUBLIC_SOURCES = {
    Lead.Source.OFFLINE_FORM,
    Lead.Source.QUEUE_OVERFLOW,
    Lead.Source.TARGETING,
}


_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]*")


class SiteIpThrottle(SimpleRateThrottle):
    setting = ""

    def get_rate(self):
        return settings.LEADS[self.setting]

    def get_cache_key(self, request, view):
        site = request.query_params.get("site") or ""
        if request.method == "POST" and isinstance(request.data, dict):
            site = str(request.data.get("site") or "")
        # Real keys are URL-safe tokens; anything else shares one bucket per IP (and
        # control characters never reach the cache's key).
        key = site[:64] if _KEY_SHAPE.fullmatch(site[:64]) else "?"
        return f"throttle:{self.setting}:{client_ip(request)}:{key}"


class LeadFormThrottle(SiteIpThrottle):
    setting = "FORM_RATE"


class LeadFormConfigThrottle(SiteIpThrottle):
    setting = "FORM_CONFIG_RATE"


def _language(value) -> str:
    return "ko" if str(value or "").lower().startswith("ko") else "en"


def site_for_request(request, key, *, same_origin_ok: bool = False) -> Site:
    site = site_by_key(str(key or ""))
    if site is None:
        raise NotFound("Unknown site.")
    origin = (request.headers.get("Origin") or "").rstrip("/").lower()
    if not origin and same_origin_ok:
        # Browsers send no Origin on a same-origin GET (a page on this server, like
        # the demo shop): then the page's origin is ours.
        origin = f"{request.scheme}://{request.get_host()}".lower()
    if origin not in site.origins:
        raise PermissionDenied("This origin may not use this site's forms.")
    return site


class LeadFormView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LeadFormConfigThrottle]

    def get(self, request):
        site = site_for_request(
            request, request.query_params.get("site"), same_origin_ok=True
        )
        config = lead_settings_for(site)
        now = timezone.now()
        slots = callback_slots(
            schedule_load(site=site),
            now,
            days=config.slot_days,
            slot_minutes=config.slot_minutes,
            min_lead_minutes=config.slot_lead_minutes,
        )
        with translation.override(_language(request.query_params.get("lang"))):
            notice = notice_payload(config)
        return Response(
            {
                "availability": site_availability(site=site, now=now).payload(),
                "time_zone": site.time_zone,
                "slots": [
                    {"start": start.isoformat(), "end": end.isoformat()}
                    for start, end in slots
                ],
                "notice": notice,
                "limits": {"name": 80, "message": 2000},
                # The browser's phone check, from the server's own metadata.
                "phone": phone_rule(config.phone_region),
            }
        )


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The form is too large."
    default_code = "too_large"


class SmallBodyMixin:
    """Public POSTs: refuse a body over MAX_BODY_BYTES before anything parses it."""

    def initial(self, request, *args, **kwargs):
        # Before the throttle, which parses the body to find the site. A chunked body
        # has no Content-Length: read it (Django caps it, DATA_UPLOAD_MAX_MEMORY_SIZE).
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > MAX_BODY_BYTES or len(request._request.body) > MAX_BODY_BYTES:
            raise PayloadTooLarge
        super().initial(request, *args, **kwargs)


class LeadSubmitView(SmallBodyMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LeadFormThrottle]

    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise ParseError("Send a JSON object.")
        site = site_for_request(request, data.get("site"))
        with translation.override(_language(data.get("lang"))):
            return self._submit(request, site, data)

    def _submit(self, request, site: Site, data: dict) -> Response:
        key = data.get("idempotency_key")
        if not (
            isinstance(key, str)
            and 8 <= len(key) <= 64
            and key.isascii()
            and key.isprintable()
        ):
            return Response(
                {
                    "errors": {
                        "form": translation.gettext("The form could not be read.")
                    }
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        if data.get("website"):
            # The honeypot field is hidden from people; only bots fill it in.
            return Response({"lead": None}, status=status.HTTP_202_ACCEPTED)
        source = data.get("source") or Lead.Source.OFFLINE_FORM
        if source not in PUBLIC_SOURCES:
            source = Lead.Source.OFFLINE_FORM
        config = lead_settings_for(site)
        now = timezone.now()
        try:
            cleaned = clean_callback(
                data, region=config.phone_region, notice_version=config.notice_version
            )
            if cleaned.callback_at and not slot_is_valid(
                site=site, team_id=None, start=cleaned.callback_at, now=now
            ):
                raise FormInvalid(
                    {
                        "slot": translation.gettext(
                            "That time is no longer available; choose another."
                        )
                    }
                )
        except FormInvalid as invalid:
            return Response(
                {"errors": invalid.errors}, status=status.HTTP_400_BAD_REQUEST
            )
        result = callback_request_submit(
            site=site,
            source=source,
            data=cleaned,
            idempotency_key=key,
            visitor_token=data.get("visitor_token"),
            offer_id=data.get("offer"),
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            language=translation.get_language() or "",
            now=now,
        )
        return Response(
            {"lead": events.lead_receipt(result.lead, duplicate=result.duplicate)},
            status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED,
        )
