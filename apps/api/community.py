"""``/api/v1/people/`` and ``/api/v1/clients/{id}/community/`` (SPEC §11): people across
platforms with their authors, staff merges and splits, and a client's community of a period."""

from __future__ import annotations

import django_filters as filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.accounts.permissions import ByRole
from apps.clients.models import Client
from apps.clients.selectors import client_get
from apps.community import selectors, services
from apps.community.models import Person, PersonAuthor
from apps.reporting.periods import period_of

from .filters import DatabaseSafeFilterSet, IdFilter
from .serializers import ReportPeriodSerializer


class ManagesPeople(ByRole):
    """Linking, merging and splitting people: agency staff (owners, managers, responders)."""

    roles = services.STAFF_ROLES


class PersonAuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="author.pk")
    platform = serializers.CharField(source="author.platform")
    handle = serializers.CharField(source="author.handle")
    display_name = serializers.CharField(source="author.display_name")
    profile_url = serializers.CharField(source="author.profile_url")
    followers = serializers.IntegerField(source="author.followers", allow_null=True)
    influence = serializers.FloatField(source="author.influence")
    linked_by = serializers.ChoiceField(choices=PersonAuthor.LinkedBy.choices)


class PersonCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    lifetime_value = serializers.DecimalField(max_digits=12, decimal_places=2)
    segment = serializers.CharField()


class PersonSerializer(serializers.ModelSerializer):
    authors = PersonAuthorSerializer(source="links", many=True, read_only=True)
    customer = PersonCustomerSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Person
        fields = ["id", "client", "name", "customer", "authors", "created_at"]
        read_only_fields = fields


class PersonDetailSerializer(PersonSerializer):
    summary = serializers.SerializerMethodField()
    suggestions = serializers.SerializerMethodField()

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "summary", "suggestions"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_summary(self, person: Person) -> dict:
        summary = selectors.person_summary(person=person)
        return {
            "mentions": summary.mentions,
            "first_at": summary.first_at,
            "last_at": summary.last_at,
            "needing_acknowledgement": summary.needing,
            "acknowledged": summary.acknowledged,
            "median_time_to_acknowledge_minutes": summary.median_minutes,
            "sentiment_by_month": [
                {"month": m, "average_score": s, "mentions": n}
                for m, s, n in summary.sentiment_by_month
            ],
            "influence": summary.influence,
            "followers": summary.followers,
            "value": summary.value,
        }

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_suggestions(self, person: Person) -> list:
        return [
            {
                "id": suggestion.pk,
                "author": mine.pk,
                "other_author": theirs.pk,
                "other_person": other.pk,
                "evidence": suggestion.evidence,
                "status": suggestion.status,
            }
            for suggestion, mine, theirs, other in selectors.link_suggestions(person=person)
        ]


class MergeSerializer(serializers.Serializer):
    person = serializers.IntegerField(
        min_value=1, required=False, help_text="The person to fold into this one (same client)."
    )
    people = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, min_length=1,
        max_length=100, help_text="Several people to fold into this one, instead of ``person``.",
    )  # fmt: skip

    def validate(self, data):
        if "person" not in data and "people" not in data:
            raise serializers.ValidationError({"person": ["Name the person to merge."]})
        return data

    def others(self) -> list[int]:
        data = self.validated_data
        return list(dict.fromkeys([*([data["person"]] if "person" in data else []),
                                   *data.get("people", [])]))  # fmt: skip


class SplitSerializer(serializers.Serializer):
    authors = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000,
        help_text="Authors of this person that become a new person.",
    )  # fmt: skip


class PersonFilter(DatabaseSafeFilterSet):
    client = IdFilter(field_name="client_id")
    q = filters.CharFilter(method="search", max_length=200, help_text="Name or handle contains")

    def search(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(name__icontains=text) | Q(links__author__handle__icontains=text.lstrip("@"))
        ).distinct()


class PersonViewSet(viewsets.ReadOnlyModelViewSet):
    """People across platforms: each groups a client's authors (one handle per platform),
    linked by the CRM, or merged and split by staff (audited)."""

    queryset = Person.objects.none()
    serializer_class = PersonSerializer
    permission_classes = [IsAuthenticated, ManagesPeople]
    filterset_class = PersonFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.person_list(user=self.request.user)

    def get_serializer_class(self):
        return PersonDetailSerializer if self.action == "retrieve" else PersonSerializer

    def _fresh(self, person: Person) -> dict:
        person = selectors.person_get(user=self.request.user, person_id=person.pk)
        return PersonDetailSerializer(person).data

    @extend_schema(request=MergeSerializer, responses={200: PersonDetailSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Fold another person of the same client into this one (their authors move here)."""
        person = self.get_object()
        given = MergeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        others = []
        for other_id in given.others():
            try:
                others.append(selectors.person_get(user=request.user, person_id=other_id))
            except Person.DoesNotExist:
                raise ValidationError({"person": [f"No such person: {other_id}."]}) from None
        try:
            with transaction.atomic():
                for other in others:
                    person = services.person_merge(person=person, other=other, user=request.user)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return Response(self._fresh(person))

    @extend_schema(request=SplitSerializer, responses={201: PersonDetailSerializer})
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        """Move some of this person's authors to a new person; answers with the new person."""
        person = self.get_object()
        given = SplitSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            split = services.person_split(
                person=person, author_ids=given.validated_data["authors"], user=request.user
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return Response(self._fresh(split), status=status.HTTP_201_CREATED)


COMMUNITY_EXAMPLE = {
    "client": 2, "since": "2026-11-01", "until": "2026-11-30",
    "helpers": [{"person": 41, "name": "Mark Reed", "handle": "mark", "answers": 2,
                 "mention_ids": [812, 907]}],
    "topics": [{"label": "brake squeal", "phrases": ["brake squeal", "rear brake"], "volume": 14,
                "sentiment": -0.31, "trend": "rising", "previous_volume": 6,
                "people": [{"person": 17, "name": "Ana Ruiz", "mentions": 3}],
                "mention_ids": [990, 975]}],
    "community_answer_share": 0.25,
}  # fmt: skip


def community_representation(client: Client, report: selectors.CommunityReport) -> dict:
    """The community endpoint's body (SPEC §11), with a few extra fields for the screens."""
    return {
        "client": client.pk,
        "since": report.period.since,
        "until": report.period.until,
        "helpers": [
            {
                "person": helper.person_id,
                "name": helper.person.name if helper.person else "",
                "handle": helper.handle,
                "answers": len(helper.answers),
                "mention_ids": helper.mention_ids,
            }
            for helper in report.helpers
        ],
        "topics": report.topics,
        "community_answer_share": report.community_answer_share,
    }


class CommunityView(APIView):
    """A client's community in a period: the customers who help other customers (helpers),
    what people talk about (topics, with their trend against the previous period) and the
    share of questions the community answered before the brand did."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[ReportPeriodSerializer],
        responses={200: OpenApiTypes.OBJECT},
        examples=[OpenApiExample("November", value=COMMUNITY_EXAMPLE, response_only=True)],
    )
    def get(self, request, pk: int):
        try:
            client = client_get(user=request.user, client_id=pk)
        except Client.DoesNotExist:
            raise NotFound("No such client.") from None
        if request.user.role == User.Role.TEAM_MEMBER:
            raise NotFound("No such client.")
        given = ReportPeriodSerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        try:
            period = period_of(
                client=client,
                since=given.validated_data.get("since"),
                until=given.validated_data.get("until"),
            )
        except ValueError as error:
            raise ValidationError({"until": [str(error)]}) from None
        report = selectors.community_report(client=client, period=period)
        return Response(community_representation(client, report))
