"""The managers' targeting API: their sites' rules, each rule's results, and the
preview ("would this rule fire for visitor X now, and if not, why").

Managers only (session auth; a counselor profile with the manager role), scoped to
the sites of their profile: another site's rule answers 404.
"""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.errors import ServiceError
from leads.api import IsManager
from leads.models import AccessLog
from leads.services.privacy import personal_data_viewed
from targeting.models import Rule
from targeting.selectors import rules_of_counselor
from targeting.services.preview import rule_preview, visitor_by_id
from targeting.services.results import rule_results


class RuleSerializer(serializers.ModelSerializer):
    action_kind = serializers.SerializerMethodField()

    class Meta:
        model = Rule
        fields = [
            "id",
            "site",
            "name",
            "active",
            "priority",
            "condition",
            "target_pages",
            "action_kind",
            "action",
            "fallback",
            "cap_per_visitor",
            "cap_per_session",
            "cap_days",
            "starts_at",
            "ends_at",
            "hours_from",
            "hours_until",
            "holdout_percent",
            "offer_timeout_seconds",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_action_kind(self, rule) -> str | None:
        return (rule.action or {}).get("kind")


class ResultsQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=90, default=7)
    since = serializers.DateTimeField(required=False)


class PreviewSerializer(serializers.Serializer):
    visitor = serializers.CharField(
        max_length=64,
        help_text="The visitor's public id, or its first characters as the console "
        "shows them (at least 4; unique within the rule's site).",
    )


class RuleViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RuleSerializer
    permission_classes = [IsAuthenticated, IsManager]
    filterset_fields = ["site", "active"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI generator
            return Rule.objects.none()
        return rules_of_counselor(counselor=self.request.user.counselor)

    @extend_schema(
        parameters=[
            OpenApiParameter("days", int, description="Attribution window (1-90)."),
            OpenApiParameter(
                "since", OpenApiTypes.DATETIME, description="Exposures from then on."
            ),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """Exposures, answers and what followed (chat, lead, purchase) within
        ``days`` after each exposure, per variant, with the lift over the holdout."""
        rule = self.get_object()
        query = ResultsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(
            rule_results(
                rule=rule,
                window=timedelta(days=query.validated_data["days"]),
                since=query.validated_data.get("since"),
            )
        )

    @extend_schema(request=PreviewSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def preview(self, request, pk=None):
        """Would the rule fire for this visitor (public id) now; if not, which
        conditions fail and what else (caps, dates, hours, holdout) blocks it."""
        rule = self.get_object()
        incoming = PreviewSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            visitor = visitor_by_id(
                site_id=rule.site_id, raw=incoming.validated_data["visitor"]
            )
        except ServiceError as exc:
            if exc.code == "not_found":
                raise NotFound("No visitor with that id on this rule's site.") from None
            raise ValidationError(
                {"visitor": [exc.message], "code": exc.code}
            ) from None
        body = rule_preview(rule=rule, visitor=visitor)
        personal_data_viewed(
            request=request,
            action=AccessLog.Action.PREVIEW,
            site_id=rule.site_id,
            visitor_ids=[visitor.pk],
            via=f"rule={rule.pk}",
        )
        return Response(body)
