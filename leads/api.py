"""The managers' lead API: list (filters, search, cursor pages), detail with the
timeline, edits of status / assignee / callback time, notes, status counts, CSV
export, and one person's export and erasure.

Scoped to the sites of the counselor's profile. Every response that carries personal
data writes an AccessLog row (who, when, which leads, from where). Exports and the
privacy actions are for managers only.

Transport only: the queries are `leads.selectors`, the writes `leads.services`, the
CSV `leads.export`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from chat.models import CounselorProfile, Site
from core.api import TextField
from core.errors import ServiceError
from leads import events, selectors
from leads.export import csv_cell as _cell  # noqa: F401  (bench/leads_explain.py)
from leads.export import csv_chunks, on_sync_thread
from leads.forms import display_phone, normalize_email, normalize_phone
from leads.models import AccessLog, Lead
from leads.services import pipeline, privacy
from leads.services.availability import lead_settings_for


def profile_of(user) -> CounselorProfile:
    profile = getattr(user, "counselor", None)
    if profile is None:
        raise PermissionDenied("Only counselors and managers can see leads.")
    return profile


class IsManager(BasePermission):
    message = "Only managers can do this."

    def has_permission(self, request, view):
        profile = getattr(request.user, "counselor", None)
        return bool(profile and profile.role == CounselorProfile.Role.MANAGER)


class LeadFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Name, phone, e-mail or reference")
    assignee = filters.CharFilter(method="by_assignee", label="Counselor id or 'none'")
    overdue = filters.BooleanFilter(method="by_overdue")
    created_after = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte"
    )
    created_before = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt"
    )
    due_before = filters.IsoDateTimeFilter(
        field_name="callback_due_at", lookup_expr="lt"
    )
    # distinct=False: nothing here multiplies rows, and DISTINCT made PostgreSQL sort
    # every matching lead on all columns instead of walking the (site, status,
    # created_at) index for one page (bench/leads.py --explain: 10 ms -> 0.2 ms).
    status = filters.MultipleChoiceFilter(choices=Lead.Status.choices, distinct=False)
    source = filters.MultipleChoiceFilter(choices=Lead.Source.choices, distinct=False)

    class Meta:
        model = Lead
        fields = ["site", "status", "source", "team"]

    def search(self, queryset, name, value):
        return selectors.lead_list_search(
            leads=queryset, text=value, region=self.request.leads_region
        )

    def by_assignee(self, queryset, name, value):
        if value == "none":
            return selectors.lead_list_assigned(leads=queryset, assignee_id=None)
        if value.isdigit():
            return selectors.lead_list_assigned(leads=queryset, assignee_id=int(value))
        raise ValidationError({"assignee": "A counselor id or 'none'."})

    def by_overdue(self, queryset, name, value):
        return selectors.lead_list_overdue(leads=queryset, overdue=bool(value))


class LeadPagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")


class LeadRowSerializer(serializers.BaseSerializer):
    def to_representation(self, instance):
        return events.lead_row(instance)


class LeadUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Lead.Status.choices, required=False)
    # Only counselors of the lead's site exist here: ids of other tenants' counselors
    # get the same 400 as ids that do not exist.
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=CounselorProfile.objects.none(), allow_null=True, required=False
    )

    def __init__(self, *args, site_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if site_id is not None:  # None: the OpenAPI generator's instance
            self.fields["assignee"].queryset = selectors.site_counselors(
                site_id=site_id
            )

    callback_at = serializers.DateTimeField(allow_null=True, required=False)


class NoteSerializer(serializers.Serializer):
    text = TextField(max_length=pipeline.MAX_NOTE)


class PersonSerializer(serializers.Serializer):
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    phone = TextField(required=False, allow_blank=True, max_length=40)
    email = TextField(required=False, allow_blank=True, max_length=254)

    def validate(self, attrs):
        region = lead_settings_for(attrs["site"]).phone_region
        phone = email = ""
        try:
            if attrs.get("phone"):
                phone = normalize_phone(attrs["phone"], region=region)
            if attrs.get("email"):
                email = normalize_email(attrs["email"])
        except Exception as exc:
            raise ValidationError("Enter a valid phone number or e-mail.") from exc
        if not phone and not email:
            raise ValidationError("Give the person's phone number or e-mail.")
        return {"site": attrs["site"], "phone": phone, "email": email}


def _masked_query(request) -> str:
    params = request.query_params.copy()
    if params.get("q"):
        params["q"] = f"<{len(params['q'])} chars>"
    params.pop("cursor", None)
    return params.urlencode()


@extend_schema_view(
    list=extend_schema(
        responses=OpenApiTypes.OBJECT,
        description="Leads of your sites, newest first, in cursor pages.",
    ),
    retrieve=extend_schema(responses=OpenApiTypes.OBJECT),
)
class LeadViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = LeadRowSerializer
    filterset_class = LeadFilter
    pagination_class = LeadPagination

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.profile = profile_of(request.user)
        self.site_ids = selectors.counselor_site_ids(profile=self.profile)
        request.leads_region = "KR"
        site = request.query_params.get("site")
        if site and site.isdigit() and int(site) in self.site_ids:
            request.leads_region = selectors.site_phone_region(site_id=int(site))

    def get_queryset(self):
        return selectors.lead_list(site_ids=self.site_ids)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", [])
        privacy.access_log(
            request=request,
            action=AccessLog.Action.LIST,
            site_id=self._one_site(request),
            lead_ids=[row["id"] for row in rows],
            query=_masked_query(request),
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        lead = selectors.lead_detail_get(lead_id=self.get_object().pk)
        privacy.access_log(
            request=request,
            action=AccessLog.Action.VIEW,
            site_id=lead.site_id,
            lead_ids=[lead.pk],
        )
        region = lead_settings_for(lead.site).phone_region
        return Response(
            events.lead_detail(
                lead, display_phone=display_phone(lead.phone, region=region)
            )
        )

    @extend_schema(request=LeadUpdateSerializer, responses=OpenApiTypes.OBJECT)
    def partial_update(self, request, *args, **kwargs):
        lead = self.get_object()
        incoming = LeadUpdateSerializer(
            data=request.data, partial=True, site_id=lead.site_id
        )
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        try:
            lead = pipeline.lead_update(
                lead=lead,
                user=request.user,
                status=values.get("status"),
                assignee=values.get("assignee", pipeline.UNCHANGED),
                callback_at=values.get("callback_at", pipeline.UNCHANGED),
            )
        except ServiceError as exc:
            return Response(
                {"code": exc.code, "detail": exc.message},
                status=status.HTTP_409_CONFLICT,
            )
        privacy.access_log(
            request=request,
            action=AccessLog.Action.UPDATE,
            site_id=lead.site_id,
            lead_ids=[lead.pk],
            query=",".join(sorted(values)),
        )
        return self.retrieve(request, pk=lead.pk)

    @extend_schema(request=NoteSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], serializer_class=NoteSerializer)
    def notes(self, request, pk=None):
        lead = self.get_object()
        incoming = NoteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        event = pipeline.lead_note_add(
            lead=lead, user=request.user, text=incoming.validated_data["text"]
        )
        return Response(events.event_payload(event), status=status.HTTP_201_CREATED)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def stats(self, request):
        """Counts by status and source under the current filters (the console asks
        without the status filter to label its tabs), and the overdue count."""
        leads = self.filter_queryset(self.get_queryset())
        return Response(selectors.lead_stats(leads=leads))

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        permission_classes=[IsManager],
    )
    def export(self, request):
        """CSV of every lead under the filters, streamed, in the site's time zone."""
        leads = self.filter_queryset(self.get_queryset())
        total = selectors.lead_export_count(
            leads=leads, limit=settings.LEADS["EXPORT_MAX_ROWS"]
        )
        privacy.access_log(
            request=request,
            action=AccessLog.Action.EXPORT,
            site_id=self._one_site(request),
            lead_ids=selectors.lead_export_ids(leads=leads, limit=privacy.LOGGED_IDS),
            count=total,
            query=_masked_query(request),
        )
        site = self._one_site(request)
        chunks = csv_chunks(
            leads=leads,
            limit=total,
            zone=selectors.lead_export_zone(site_ids=[site] if site else self.site_ids),
        )
        under_asgi = isinstance(request._request, ASGIRequest)
        response = StreamingHttpResponse(
            on_sync_thread(chunks) if under_asgi else chunks,
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="leads.csv"'
        return response

    @extend_schema(request=PersonSerializer, responses=OpenApiTypes.OBJECT)
    @action(
        detail=False,
        methods=["post"],
        url_path="person-export",
        permission_classes=[IsManager],
        serializer_class=PersonSerializer,
    )
    def person_export(self, request):
        person = self._person(request)
        return Response(privacy.person_export(**person, request=request))

    @extend_schema(request=PersonSerializer, responses=OpenApiTypes.OBJECT)
    @action(
        detail=False,
        methods=["post"],
        url_path="person-erase",
        permission_classes=[IsManager],
        serializer_class=PersonSerializer,
    )
    def person_erase(self, request):
        person = self._person(request)
        return Response({"removed": privacy.person_erase(**person, request=request)})

    def _one_site(self, request) -> int | None:
        """The site filtered on, for the access log: only one of the user's."""
        site = request.query_params.get("site")
        if site and site.isdigit() and int(site) in self.site_ids:
            return int(site)
        return None

    def _person(self, request) -> dict:
        incoming = PersonSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        person = incoming.validated_data
        if person["site"].pk not in self.site_ids:
            # Answered as for a site that does not exist: others' are not revealed.
            field = PersonSerializer().fields["site"]
            message = field.error_messages["does_not_exist"]
            raise ValidationError(
                {"site": [message.format(pk_value=person["site"].pk)]}
            )
        return person
