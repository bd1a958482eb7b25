"""Params of the inbound routes and the shapes they answer."""

from rest_framework import serializers

from inbound.models import InboundChannel, InboundMessage, SuppressedKind, Suppression, SuppressionReason
from planocore.api.endpoints import order
from planocore.api.pagination import PageParams


class InboundMessageListParams(PageParams):
    page_order = 90
    channel = serializers.ChoiceField(
        choices=InboundChannel.choices,
        required=False,
        style=order(2),
        help_text="Only messages of this channel.",
    )
    from_address = serializers.CharField(
        required=False, max_length=254, style=order(3), help_text="Only messages from this number or address."
    )
    user_id = serializers.CharField(
        required=False, max_length=64, style=order(4), help_text="Only messages of this user."
    )
    notification_id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,  # the column is a bigint
        style=order(5, in_example=False),
        help_text="Only replies to this notification.",
    )
    keyword = serializers.CharField(
        required=False,
        max_length=20,
        style=order(6),
        help_text="Only messages carrying this consent keyword (STOP...).",
    )
    unanswered = serializers.BooleanField(
        required=False,
        default=None,
        allow_null=True,
        style=order(7),
        help_text="true: only messages nobody answered yet.",
    )
    received_after = serializers.DateTimeField(
        required=False, style=order(8), help_text="Received at or after (ISO 8601)."
    )
    received_before = serializers.DateTimeField(
        required=False, style=order(9), help_text="Received before (ISO 8601)."
    )


class InboundMessageIdParams(serializers.Serializer):
    id = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,  # the column is a bigint
        style=order(2, in_example=False),
        help_text="The inbound message's id.",
    )


class NotificationRepliesParams(PageParams):
    page_order = 90
    id = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,  # the column is a bigint
        style=order(2, in_example=False),
        help_text="The notification whose replies to list.",
    )


class InboundMessageOut(serializers.ModelSerializer):
    notification_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "channel",
            "from_address",
            "to_address",
            "subject",
            "text",
            "media",
            "received_at",
            "provider",
            "provider_message_id",
            "conversation_id",
            "user_id",
            "notification_id",
            "keyword",
            "answered_at",
        ]


class SuppressionListParams(PageParams):
    page_order = 90
    kind = serializers.ChoiceField(
        choices=SuppressedKind.choices,
        required=False,
        style=order(2),
        help_text="Only suppressions of this kind.",
    )
    address = serializers.CharField(
        required=False,
        max_length=254,
        style=order(3),
        help_text="Only suppressions of this number or address.",
    )
    reason = serializers.ChoiceField(
        choices=SuppressionReason.choices,
        required=False,
        style=order(4),
        help_text="Only suppressions for this reason.",
    )
    active = serializers.BooleanField(
        required=False,
        default=None,
        allow_null=True,
        style=order(5),
        help_text="true: only those in force; false: only lifted ones.",
    )


class SuppressionLiftParams(serializers.Serializer):
    id = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,  # the column is a bigint
        style=order(2, in_example=False),
        help_text="The suppression's id.",
    )
    note = serializers.CharField(
        max_length=500, style=order(3), help_text="Why it is lifted (kept in the suppression's history)."
    )


class SuppressionOut(serializers.ModelSerializer):
    active = serializers.BooleanField()
    history = serializers.SerializerMethodField()

    class Meta:
        model = Suppression
        fields = [
            "id",
            "kind",
            "address",
            "reason",
            "detail",
            "since",
            "active",
            "lifted_at",
            "lift_note",
            "history",
        ]

    def get_history(self, suppression: Suppression) -> list[dict]:
        return [
            {
                "action": change.action,
                "note": change.note,
                "at": change.at.isoformat(),
                "by_user_id": change.by_id,
            }
            for change in suppression.history.all()
        ]


class CallbackSetParams(serializers.Serializer):
    url = serializers.URLField(
        max_length=500,
        style=order(2, example="https://planox2.example/planocore-events"),
        help_text="Where PlanoCore POSTs the application's events (https; public hosts only).",
    )
