"""The API's representations (SPEC §10) and the shapes of its inputs.

Output serializers render; input serializers only check shapes and types — the services decide
what is valid (their ``ValidationError``s come back as 400 with field errors).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import Team, User
from apps.acknowledgements.models import Acknowledgement
from apps.channels.models import Channel, FetchRun
from apps.clients.models import Client
from apps.clients.selectors import client_accounts
from apps.listening.models import ListeningQuery, Mention
from apps.listening.representation import mention_representation
from apps.webhooks.models import (
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

# --- clients -------------------------------------------------------------------------------------


@extend_schema_field(
    {"type": "array", "items": {"type": "object", "required": ["platform", "handle"],
     "properties": {"platform": {"type": "string"}, "handle": {"type": "string"},
                    "account_id": {"type": "string"}, "competitor": {"type": "string"}}}}
)  # fmt: skip
class ClientAccountsField(serializers.Field):
    """``brand_accounts`` or ``competitor_accounts``: a list of ``{"platform", "handle",
    "account_id"}`` (SPEC §11), validated by the clients service."""

    def __init__(self, role: str, **kwargs):
        self.role = role
        super().__init__(source="*", required=False, **kwargs)

    def to_representation(self, client: Client) -> list[dict]:
        return client_accounts(client=client)[f"{self.role}_accounts"]

    def to_internal_value(self, data) -> dict:
        return {self.field_name: data}


class ClientSerializer(serializers.ModelSerializer):
    slug = serializers.SlugField(max_length=60, required=False)
    brand_accounts = ClientAccountsField("brand")
    competitor_accounts = ClientAccountsField("competitor")

    class Meta:
        model = Client
        fields = [
            "id", "name", "slug", "timezone", "brand_handles", "brand_accounts", "keywords",
            "competitors", "competitor_accounts", "is_active", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"slug": {"validators": []}}  # uniqueness: the service says it in words


# --- channels ------------------------------------------------------------------------------------


class ChannelSerializer(serializers.ModelSerializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    credentials = serializers.DictField(
        write_only=True, required=False, help_text="Write-only: never returned."
    )
    config = serializers.DictField(required=False)
    webhook_url = serializers.SerializerMethodField()

    class Meta:
        model = Channel
        fields = [
            "id", "client", "platform", "name", "config", "credentials", "purpose",
            "fetch_interval_minutes", "listen_only", "health", "last_error", "last_success_at",
            "last_fetch_at", "created_at", "webhook_url",
        ]  # fmt: skip
        read_only_fields = [
            "id", "health", "last_error", "last_success_at", "last_fetch_at", "created_at",
        ]  # fmt: skip

    def __init__(self, *args, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        if clients is not None:
            self.fields["client"].queryset = clients

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_webhook_url(self, channel: Channel) -> str | None:
        if channel.platform != Channel.Platform.WEBHOOK:
            return None
        request = self.context.get("request")
        path = f"/hooks/{channel.webhook_token}/"
        return request.build_absolute_uri(path) if request else path


class ChannelUpdateSerializer(ChannelSerializer):
    class Meta(ChannelSerializer.Meta):
        read_only_fields = [*ChannelSerializer.Meta.read_only_fields, "client", "platform"]


class CreatedChannelSerializer(ChannelSerializer):
    webhook_secret = serializers.CharField(
        read_only=True, help_text="Webhook channels only, and only in this response."
    )

    class Meta(ChannelSerializer.Meta):
        fields = [*ChannelSerializer.Meta.fields, "webhook_secret"]


class FetchRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = FetchRun
        fields = [
            "id", "channel", "trigger", "status", "started_at", "finished_at", "pages", "fetched",
            "new", "duplicates", "errors", "error_message",
        ]  # fmt: skip


# --- listening queries ---------------------------------------------------------------------------


class QuerySerializer(serializers.ModelSerializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())

    class Meta:
        model = ListeningQuery
        fields = [
            "id", "client", "name", "expression", "is_competitor", "is_active", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []  # the service names a duplicate name in words

    def __init__(self, *args, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        if clients is not None:
            self.fields["client"].queryset = clients


class QueryUpdateSerializer(QuerySerializer):
    # Declared fields ignore Meta.read_only_fields: a query stays with its client.
    client = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(QuerySerializer.Meta):
        read_only_fields = [*QuerySerializer.Meta.read_only_fields, "client"]


# --- mentions ------------------------------------------------------------------------------------


class MentionAuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    handle = serializers.CharField()
    display_name = serializers.CharField()
    followers = serializers.IntegerField(allow_null=True)
    influence = serializers.FloatField()
    is_customer = serializers.BooleanField()
    is_advocate = serializers.BooleanField()


class MentionSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    url = serializers.CharField(
        read_only=True, help_text="The mention on its platform; empty when the source has none."
    )
    priority_score = serializers.FloatField(
        allow_null=True, read_only=True,
        help_text="Higher: answer first. Customer value, influence, negativity and waiting "
        "time (formula in the README); null until scored.",
    )  # fmt: skip

    class Meta:
        model = Mention
        fields = [
            "id", "client", "channel", "platform", "external_id", "url", "text", "kind",
            "posted_at", "author", "sentiment", "sentiment_score", "intent", "sentiment_corrected",
            "matched_queries",
            "needs_acknowledgement", "status", "priority", "assigned_to", "team", "tags",
            "acknowledged_at", "time_to_acknowledge_minutes", "is_follow_up", "language",
            "rating", "parent_external_id", "sla_due_at", "priority_score",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(MentionAuthorSerializer)
    def get_author(self, mention: Mention) -> dict:
        return mention_representation(mention)["author"]

    def to_representation(self, mention: Mention) -> dict:
        # The fields above document the shape; one function builds it, for the API and the
        # webhooks alike (and several times faster than field-by-field serialisation).
        return mention_representation(mention)


class MentionCorrectionSerializer(serializers.Serializer):
    """``PATCH mentions/{id}/``: a person's sentiment and/or intent (SPEC §11)."""

    sentiment = serializers.ChoiceField(choices=Mention.Sentiment.choices, required=False)
    intent = serializers.ChoiceField(choices=Mention.Intent.choices, required=False)

    def validate(self, attrs: dict) -> dict:
        others = sorted(set(self.initial_data) - {"sentiment", "intent"})
        if others:
            raise serializers.ValidationError(
                {name: ["Only sentiment and intent can be corrected."] for name in others}
            )
        if not attrs:
            raise serializers.ValidationError({"sentiment": ["Give a sentiment or an intent."]})
        return attrs


class AcknowledgementSerializer(serializers.ModelSerializer):
    client = serializers.IntegerField(source="mention.client_id", read_only=True)

    class Meta:
        model = Acknowledgement
        fields = [
            "id", "mention", "client", "user", "kind", "text", "created_at", "external_id",
            "external_url", "delivery_status", "delivery_error", "attempts", "is_personal",
        ]  # fmt: skip
        read_only_fields = fields


class AcknowledgedSerializer(AcknowledgementSerializer):
    warning = serializers.CharField(
        read_only=True, help_text="Set when the same words went to many people."
    )

    class Meta(AcknowledgementSerializer.Meta):
        fields = [*AcknowledgementSerializer.Meta.fields, "warning"]
        read_only_fields = fields


FORCE_HELP = "Reply although the same person was answered in the last 10 minutes (otherwise 409)."


class AcknowledgeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Acknowledgement.Kind.choices)
    text = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000,
        help_text="May use {first_name} and {handle}, filled for each person.",
    )  # fmt: skip
    force = serializers.BooleanField(required=False, default=False, help_text=FORCE_HELP)


class AssignSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )

    def validate(self, attrs):
        if (attrs.get("user") is None) == (attrs.get("team") is None):
            raise serializers.ValidationError({"user": "Give a user or a team (one of them)."})
        return attrs


class DismissSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class EscalateSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    note = serializers.CharField(max_length=2000)


MAX_BULK = 1000


class BulkActionSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=MAX_BULK
    )
    action = serializers.ChoiceField(choices=["acknowledge", "assign", "dismiss", "escalate"])
    kind = serializers.ChoiceField(choices=Acknowledgement.Kind.choices, required=False)
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    force = serializers.BooleanField(required=False, default=False, help_text=FORCE_HELP)

    def validate(self, attrs):
        if attrs["action"] == "acknowledge" and not attrs.get("kind"):
            raise serializers.ValidationError({"kind": "Say how the mentions were acknowledged."})
        if attrs["action"] == "escalate" and attrs.get("team") is None:
            raise serializers.ValidationError({"team": "Escalate to which team?"})
        return attrs


class BulkResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    count = serializers.IntegerField()
    warning = serializers.CharField(allow_blank=True)


class AuthTokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="Your e-mail address.")
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    code = serializers.CharField(
        required=False, allow_blank=True, max_length=12,
        help_text="The 6-digit code of your authenticator app, if two-factor sign-in is on.",
    )  # fmt: skip


class AuthTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once; send it as `Authorization: Token …`.")
    user = serializers.IntegerField()
    role = serializers.CharField()


class ReportPeriodSerializer(serializers.Serializer):
    """The period's days; their rules (order, length, defaults) are ``apps.reporting.periods``."""

    since = serializers.DateField(required=False, help_text="First day (YYYY-MM-DD), included.")
    until = serializers.DateField(required=False, help_text="Last day (YYYY-MM-DD), included.")


# --- outbound webhooks ---------------------------------------------------------------------------


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), min_length=1
    )
    secret = serializers.CharField(
        write_only=True, required=False, min_length=16, max_length=200,
        help_text="Optional: one is generated (and shown once) when left out.",
    )  # fmt: skip

    class Meta:
        model = WebhookSubscription
        fields = [
            "id", "url", "events", "secret", "is_active", "consecutive_failures", "disabled_at",
            "disabled_reason", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "consecutive_failures", "disabled_at", "disabled_reason", "created_at",
        ]  # fmt: skip


class CreatedWebhookSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown once: sign-checks use it.")


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "status_code", "error", "duration_ms", "created_at"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "event", "event_id", "status", "attempts", "last_status_code", "last_error",
            "created_at", "delivered_at", "attempt_log",
        ]  # fmt: skip
