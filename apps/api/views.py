"""REST API v1 (SPEC §7): thin views over the apps' selectors (what the caller may see) and
services (what changes). Objects outside the caller's scope are not found (404)."""

from __future__ import annotations

import inspect

from django.contrib.auth import authenticate
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from knox.models import AuthToken
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import MANAGING_ROLES, ManagesWorkspace, RespondsToMentions
from apps.accounts.selectors import two_factor_device
from apps.accounts.services import two_factor_verify
from apps.acknowledgements import services as inbox
from apps.acknowledgements.models import Acknowledgement
from apps.acknowledgements.selectors import acknowledgement_list
from apps.channels import services as channel_services
from apps.channels.models import Channel
from apps.channels.selectors import channel_list
from apps.clients import services as client_services
from apps.clients.models import Client
from apps.clients.selectors import client_list
from apps.core.replica import from_replica
from apps.listening import services as listening_services
from apps.listening.models import ListeningQuery, Mention
from apps.listening.selectors import mention_list, query_list
from apps.reporting.periods import period_of
from apps.reporting.selectors import client_report, report_for
from apps.webhooks import selectors as webhook_selectors
from apps.webhooks import services as webhook_services
from apps.webhooks.models import WebhookSubscription

from . import filters
from . import serializers as s
from .pagination import CursorPagination


class ScopedViewSet(viewsets.GenericViewSet):
    """Lists and objects come from ``scoped(user)``: a selector that holds only what the caller
    may see, so anything else is a 404."""

    lookup_value_regex = r"\d+"
    update_serializer_class = None  # when updates take other fields than creation

    def scoped(self, user):
        raise NotImplementedError

    def get_serializer_class(self):
        if self.update_serializer_class and self.action in ("update", "partial_update"):
            return self.update_serializer_class
        return super().get_serializer_class()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drafting the OpenAPI schema
            return self.queryset
        return self.scoped(self.request.user)

    def get_serializer(self, *args, **kwargs):
        if "clients" in signature_of(self.get_serializer_class()):
            fake = getattr(self, "swagger_fake_view", False)
            kwargs.setdefault(
                "clients", Client.objects.none() if fake else client_list(user=self.request.user)
            )
        return super().get_serializer(*args, **kwargs)


def signature_of(cls) -> set[str]:
    return set(inspect.signature(cls.__init__).parameters)


REPORT_EXAMPLE = {
    "client": 1, "since": "2026-11-01", "until": "2026-11-30", "timezone": "Europe/London",
    "mention_count": 1520, "needing_acknowledgement": 1210, "acknowledged": 1150,
    "acknowledgement_rate": 0.9504, "median_time_to_acknowledge_minutes": 42.0,
    "p90_time_to_acknowledge_minutes": 210.5, "sla_attainment": 0.93, "advocates_gained": 12,
    "median_time_to_acknowledge_wall_clock_minutes": 95.0,
    "p90_time_to_acknowledge_wall_clock_minutes": 1260.0,
    "sentiment": {"positive": 600, "neutral": 700, "negative": 220, "average_score": 0.12},
    "share_of_voice": {"brand": 1400, "competitors": {"Brewhaus": 380}, "share": 0.7865},
    "advocacy_lift": 2.5,
    "channels": [{"channel": 3, "name": "Instagram", "mentions": 900, "previous_mentions": 840,
                  "needing_acknowledgement": 700, "acknowledged": 680,
                  "acknowledgement_rate": 0.9714, "negative": 120}],
    "teams": [{"team": 2, "name": "Care", "mentions": 300, "needing_acknowledgement": 290,
               "acknowledged": 270, "acknowledgement_rate": 0.931}],
    "advocacy_comparison": {
        "acknowledged": {"people": 300, "returned": 120, "returned_positive": 60,
                         "return_rate": 0.4, "positive_return_rate": 0.2},
        "not_acknowledged": {"people": 100, "returned": 25, "returned_positive": 8,
                             "return_rate": 0.25, "positive_return_rate": 0.08},
        "return_lift": 1.6, "positive_return_lift": 2.5,
    },
    "previous": {"since": "2026-10-02", "until": "2026-10-31", "mention_count": 1410,
                 "acknowledgement_rate": 0.91, "advocacy_lift": 1.8},
}  # fmt: skip


# --- tokens --------------------------------------------------------------------------------------


class AuthTokenView(APIView):
    """Exchange a user's e-mail and password for an API token; DELETE revokes the token used."""

    permission_classes = [AllowAny]
    throttle_scope = "token"

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else super().get_permissions()

    @extend_schema(
        request=s.AuthTokenRequestSerializer,
        responses={201: s.AuthTokenSerializer, 400: OpenApiResponse(description="Wrong input")},
        auth=[],
        examples=[
            OpenApiExample(
                "Demo owner",
                value={"username": "demo@rapport.test", "password": "demo"},
                request_only=True,
            )
        ],
    )
    def post(self, request):
        given = s.AuthTokenRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=given.validated_data["username"],
            password=given.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise AuthenticationFailed("Unknown e-mail or wrong password.")
        if two_factor_device(user=user) is not None:  # the password alone is not enough
            code = given.validated_data.get("code", "")
            if not code:
                raise ValidationError({"code": ["Two-factor sign-in is on: send your code."]})
            two_factor_verify(user=user, code=code)  # a wrong code: 400 on "code"
        _, token = AuthToken.objects.create(user=user)
        return Response(
            {"token": token, "user": user.pk, "role": user.role}, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not isinstance(request.auth, AuthToken):
            raise ValidationError({"token": ["Sign out of a session at /accounts/logout/."]})
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- clients -------------------------------------------------------------------------------------


class ClientViewSet(ScopedViewSet, viewsets.ModelViewSet):
    """The client brands the caller may see."""

    queryset = Client.objects.none()
    serializer_class = s.ClientSerializer
    permission_classes = [IsAuthenticated, ManagesWorkspace]

    def scoped(self, user):
        return client_list(user=user).order_by("name", "pk").prefetch_related("accounts")

    def perform_create(self, serializer):
        serializer.instance = client_services.client_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = client_services.client_update(
            client=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        client_services.client_delete(client=instance)

    @extend_schema(
        parameters=[s.ReportPeriodSerializer],
        responses={200: OpenApiTypes.OBJECT},
        examples=[OpenApiExample("November", value=REPORT_EXAMPLE, response_only=True)],
    )
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """The client's report for whole days in its time zone (default: the last 30 days up to
        today), with the previous period of the same length: the figures of the dashboard."""
        client = self.get_object()
        given = s.ReportPeriodSerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        try:
            period = period_of(
                client=client,
                since=given.validated_data.get("since"),
                until=given.validated_data.get("until"),
            )
        except ValueError as error:  # backwards, or longer than a report covers
            raise ValidationError({"until": [str(error)]}) from None
        report = from_replica(client_report, client=client, since=period.since, until=period.until)
        return Response(report_for(report, viewer=request.user))


# --- channels ------------------------------------------------------------------------------------


@extend_schema_view(create=extend_schema(responses={201: s.CreatedChannelSerializer}))
class ChannelViewSet(ScopedViewSet, viewsets.ModelViewSet):
    """Where mentions come from; credentials are write-only."""

    queryset = Channel.objects.none()
    serializer_class = s.ChannelSerializer
    update_serializer_class = s.ChannelUpdateSerializer
    permission_classes = [IsAuthenticated, ManagesWorkspace]
    filterset_class = filters.ChannelFilter

    def scoped(self, user):
        return channel_list(user=user).order_by("pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = channel_services.channel_create(**serializer.validated_data)
        body = s.CreatedChannelSerializer(created.channel, context={"request": request}).data
        if created.webhook_secret:
            body["webhook_secret"] = created.webhook_secret
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = channel_services.channel_update(
            channel=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        channel_services.channel_delete(channel=instance)

    @extend_schema(request=None, responses={202: s.FetchRunSerializer})
    @action(detail=True, methods=["post"])
    def fetch(self, request, pk=None):
        """Fetch now: queues a fetch and answers with its run, whose progress can be polled."""
        channel = self.get_object()
        if not channel.is_pulled:
            raise ValidationError({"platform": ["Fed from outside: there is nothing to fetch."]})
        run = channel_services.channel_fetch_now(channel=channel)
        return Response(s.FetchRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


# --- listening queries ---------------------------------------------------------------------------


class QueryViewSet(ScopedViewSet, viewsets.ModelViewSet):
    """Boolean listening queries; a syntax error answers 400 with its position."""

    queryset = ListeningQuery.objects.none()
    serializer_class = s.QuerySerializer
    update_serializer_class = s.QueryUpdateSerializer
    permission_classes = [IsAuthenticated, ManagesWorkspace]
    filterset_class = filters.QueryFilter

    def scoped(self, user):
        return query_list(user=user).order_by("pk")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = listening_services.query_create(
            client=data["client"], name=data["name"], expression=data["expression"],
            is_competitor=data.get("is_competitor", False),
        )  # fmt: skip

    def perform_update(self, serializer):
        serializer.instance = listening_services.query_update(
            query=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        listening_services.query_delete(query=instance)


# --- mentions and the inbox actions --------------------------------------------------------------


class MentionViewSet(ScopedViewSet, viewsets.ReadOnlyModelViewSet):
    """What people said, with the inbox actions and label corrections (``PATCH``). Lists are
    newest first (best match first with ``q``)."""

    queryset = Mention.objects.none()
    serializer_class = s.MentionSerializer
    permission_classes = [IsAuthenticated, RespondsToMentions]
    filterset_class = filters.MentionFilter
    pagination_class = CursorPagination

    def scoped(self, user):
        # The representation needs the author only: no joins to channel and client.
        return mention_list(user=user).select_related(None).select_related("author")

    def _act(self, request, serializer_class):
        mention = self.get_object()
        given = serializer_class(data=request.data)
        given.is_valid(raise_exception=True)
        return mention, given.validated_data

    def _done(self, mention):
        mention = self.get_queryset().get(pk=mention.pk)
        return Response(s.MentionSerializer(mention).data)

    @extend_schema(
        request=s.MentionCorrectionSerializer,
        responses={200: s.MentionSerializer},
        examples=[
            OpenApiExample(
                "A complaint, not praise",
                request_only=True,
                value={"sentiment": "negative", "intent": "complaint"},
            )
        ],
    )
    def partial_update(self, request, pk=None):
        """Correct the sentiment and/or intent (agency staff; client users get 403). The
        correction wins over the model in every report and is audited."""
        mention = self.get_object()
        if request.user.is_client_user:
            raise PermissionDenied("Only agency staff can correct labels.")
        given = s.MentionCorrectionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        inbox.mention_labels_correct(mention=mention, user=request.user, **given.validated_data)
        return self._done(mention)

    @extend_schema(
        request=s.AcknowledgeSerializer,
        responses={
            201: s.AcknowledgedSerializer,
            409: OpenApiResponse(
                description="The same person was answered in the last 10 minutes: nothing was "
                'sent. Send again with "force": true to reply anyway.'
            ),
        },
        examples=[
            OpenApiExample(
                "Personal reply",
                request_only=True,
                value={"kind": "reply", "text": "Good catch {first_name}, the date is fixed!"},
            ),
            OpenApiExample(
                "Replied elsewhere",
                request_only=True,
                value={"kind": "replied_elsewhere", "text": "Called Ana back"},
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge: reply through the channel (sent by a worker), react, or record a reply
        made elsewhere or an internal resolution. ``warning`` flags canned wording."""
        mention, data = self._act(request, s.AcknowledgeSerializer)
        warning = inbox.reply_warning(mentions=[mention], text=data["text"])
        ack = inbox.mention_acknowledge(
            mention=mention, user=request.user, kind=data["kind"], text=data["text"],
            force=data["force"],
        )  # fmt: skip
        ack.warning = warning
        return Response(s.AcknowledgedSerializer(ack).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.AssignSerializer,
        responses={200: s.MentionSerializer},
        examples=[OpenApiExample("To a team", value={"team": 1}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign to a user or a team."""
        mention, data = self._act(request, s.AssignSerializer)
        inbox.mentions_assign(
            mentions=[mention], actor=request.user, user=data.get("user"), team=data.get("team")
        )
        return self._done(mention)

    @extend_schema(
        request=s.DismissSerializer,
        responses={200: s.MentionSerializer},
        examples=[OpenApiExample("Spam", value={"reason": "Spam"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Dismiss: needs no acknowledgement (a reason is required)."""
        mention, data = self._act(request, s.DismissSerializer)
        inbox.mentions_dismiss(mentions=[mention], user=request.user, reason=data["reason"])
        return self._done(mention)

    @extend_schema(
        request=s.EscalateSerializer,
        responses={200: s.MentionSerializer},
        examples=[
            OpenApiExample(
                "To engineering",
                request_only=True,
                value={"team": 3, "note": "Crash on login since 2.4 — can you look?"},
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """Escalate to a team with a note."""
        mention, data = self._act(request, s.EscalateSerializer)
        inbox.mention_escalate(
            mention=mention, user=request.user, team=data["team"], note=data["note"]
        )
        return self._done(mention)

    @extend_schema(
        request=s.BulkActionSerializer,
        responses={200: s.BulkResultSerializer},
        examples=[
            OpenApiExample(
                "Thank many, by name",
                request_only=True,
                value={
                    "ids": [1, 2, 3],
                    "action": "acknowledge",
                    "kind": "replied_elsewhere",
                    "text": "Thanks {first_name}!",
                },
            )
        ],
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """One action on up to 1,000 mentions, in one transaction: all of them or none."""
        given = s.BulkActionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        ids = set(data["ids"])
        with transaction.atomic():
            mentions = list(self.get_queryset().filter(pk__in=ids).select_for_update(of=("self",)))
            missing = ids - {m.pk for m in mentions}
            if missing:
                raise ValidationError({"ids": [f"Not found: {sorted(missing)[:20]}"]})
            for mention in mentions:
                self.check_object_permissions(request, mention)
            warning = inbox.mentions_act(
                mentions=mentions, user=request.user, action=data["action"],
                kind=data.get("kind", ""), text=data["text"], assignee=data.get("user"),
                team=data.get("team"), reason=data["reason"], note=data["note"],
                force=data["force"],
            )  # fmt: skip
        return Response({"action": data["action"], "count": len(mentions), "warning": warning})


class AcknowledgementViewSet(ScopedViewSet, viewsets.ReadOnlyModelViewSet):
    """Who acknowledged whom, how, and whether the reply was delivered."""

    queryset = Acknowledgement.objects.none()
    serializer_class = s.AcknowledgementSerializer
    filterset_class = filters.AcknowledgementFilter
    pagination_class = CursorPagination

    def scoped(self, user):
        return acknowledgement_list(user=user)


# --- outbound webhooks ---------------------------------------------------------------------------


@extend_schema_view(create=extend_schema(responses={201: s.CreatedWebhookSerializer}))
class WebhookViewSet(ScopedViewSet, viewsets.ModelViewSet):
    """Outbound subscriptions (owners and managers): signed deliveries of ``mention.created``,
    ``mention.acknowledged`` and ``sla.breached``, with their delivery log."""

    queryset = WebhookSubscription.objects.none()
    serializer_class = s.WebhookSerializer
    permission_classes = [IsAuthenticated, ManagesWorkspace]

    def scoped(self, user):
        if user.role not in MANAGING_ROLES:
            return WebhookSubscription.objects.none()
        return webhook_selectors.subscription_list()

    def create(self, request, *args, **kwargs):
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        subscription, secret = webhook_services.subscription_create(
            user=request.user, **given.validated_data
        )
        body = s.CreatedWebhookSerializer(subscription).data
        body["secret"] = secret
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "secret" in data:
            raise ValidationError({"secret": ["Delete and re-create to change the secret."]})
        serializer.instance = webhook_services.subscription_update(
            subscription=serializer.instance, **data
        )

    def perform_destroy(self, instance):
        webhook_services.subscription_delete(subscription=instance)

    @extend_schema(responses={200: s.WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The delivery log: every event sent, with each attempt's status code or error."""
        deliveries = webhook_selectors.delivery_list(self.get_object())
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(s.WebhookDeliverySerializer(page, many=True).data)
