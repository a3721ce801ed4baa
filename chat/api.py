"""REST API for counselors and managers: conversations and transcripts of their sites.

Payloads come from chat/events.py, the same builders the sockets use. Writes go through
the same services (an asynchronous answer to a visitor who left is `POST .../messages/`,
idempotent by client_id like a socket send).
"""

from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

from chat import events, hooks, selectors
from chat.models import Conversation, Message
from chat.services.messages import SendItem, message_history, messages_append
from core.api import TextField


def _viewed(request, action: str, rows) -> None:
    """The personal-data access log (kept by leads, through chat.hooks) for
    conversations shown: their ids and their visitors'."""
    rows = [row for row in rows if isinstance(row, dict) and "id" in row]
    sites = {row["site"]["id"] for row in rows}
    hooks.personal_data_viewed(
        request=request,
        action=action,
        site_id=sites.pop() if len(sites) == 1 else None,
        visitor_ids=[row["visitor"]["id"] for row in rows],
        conversation_ids=[row["id"] for row in rows],
    )


class ConversationFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Visitor name or message text")
    created_after = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte"
    )
    created_before = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt"
    )

    class Meta:
        model = Conversation
        fields = ["status", "site", "assignee", "team", "channel"]

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(visitor__name__icontains=value)
            | Q(
                pk__in=Message.objects.filter(body__icontains=value)
                .exclude(kind__in=Message.STAFF_ONLY_KINDS)
                .values("conversation_id")
            )
            | Q(
                pk__in=Message.objects.filter(
                    body__icontains=value, kind=Message.Kind.NOTE
                ).values("conversation_id")
            )
        )


class ConversationSerializer(serializers.BaseSerializer):
    def to_representation(self, instance):
        return events.conversation_for_agent(instance)


class MessageInSerializer(serializers.Serializer):
    client_id = TextField(max_length=64)
    body = TextField(max_length=4000, trim_whitespace=False)
    kind = serializers.ChoiceField(choices=["text", "note"], default="text")


@extend_schema_view(
    list=extend_schema(
        responses=OpenApiTypes.OBJECT, operation_id="conversations_list"
    ),
    retrieve=extend_schema(responses=OpenApiTypes.OBJECT),
)
class ConversationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ConversationSerializer
    filterset_class = ConversationFilter
    throttle_classes = [UserRateThrottle]

    def counselor(self):
        counselor = selectors.counselor_for_user(self.request.user)
        if counselor is None:
            raise PermissionDenied("This account is not a counselor.")
        return counselor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Conversation.objects.none()
        return selectors.conversations_visible_to(self.counselor()).order_by("-pk")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        data = response.data
        rows = data.get("results", []) if isinstance(data, dict) else data
        _viewed(request, hooks.VIEWED_CONVERSATIONS, rows)
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        _viewed(request, hooks.VIEWED_CONVERSATIONS, [response.data])
        return response

    @extend_schema(request=MessageInSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get", "post"], serializer_class=MessageInSerializer)
    def messages(self, request, pk=None):
        """GET: transcript after `after_seq`; POST: answer (text or internal note)."""
        conversation = self.get_object()
        if request.method == "GET":
            try:
                after = max(0, int(request.query_params.get("after_seq", 0)))
            except ValueError:
                raise ValidationError({"after_seq": "Must be an integer."}) from None
            rows, more = message_history(
                conversation=conversation, after_seq=after, for_visitor=False, limit=200
            )
            hooks.personal_data_viewed(
                request=request,
                action=hooks.VIEWED_TRANSCRIPT,
                site_id=conversation.site_id,
                visitor_ids=[conversation.visitor_id],
                conversation_ids=[conversation.pk],
            )
            return Response({"messages": rows, "has_more": more})
        data = MessageInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        counselor = self.counselor()
        (result,) = messages_append(
            items=[
                SendItem(
                    conversation_id=conversation.pk,
                    sender_kind=Message.Sender.AGENT,
                    sender_id=counselor.pk,
                    sender_name=counselor.display_name,
                    client_id=data.validated_data["client_id"],
                    body=data.validated_data["body"],
                    kind=data.validated_data["kind"],
                    site_ids=frozenset(selectors.counselor_site_ids(counselor)),
                )
            ]
        )
        if result.error:
            code, text = result.error
            if code == "not_found":
                raise NotFound(text)
            raise ValidationError({"code": code, "detail": text})
        return Response(
            events.message_payload(result.message, for_visitor=False),
            status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED,
        )
