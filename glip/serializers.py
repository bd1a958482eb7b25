"""Params (what callers send, in the seed's order) and outputs of the glip routes."""

from rest_framework import serializers

from glip.models import GlipMessage, GlipTeam
from glip.selectors import glip_team_active_by_name
from planocore.api.endpoints import order
from planocore.api.pagination import PageParams
from planocore.providers.ringcentral.backends import GLIP_TEXT_MAX
from planocore.providers.ringcentral.selectors import ringcentral_extension_active
from planocore.routes.list_items import list_item_url

TEAM_LIST_URL = list_item_url("glip_team")


class GlipMessageCreateParams(serializers.Serializer):
    """The seed's params of POST /api/v1/glip/messages (`token`, order 1, is documented by the platform)."""

    team_name = serializers.CharField(
        style=order(2, list_item="glip_team", example="General"),  # a team `make run` imports
        help_text=(
            "Name of the Glip team you would like to send the message to. If you don't see the Glip team "
            "in the docs, you can run `$ python manage.py import_default_extensions_glip_teams`."
        ),
    )
    message = serializers.CharField(
        style=order(3, example="The shoot at 12 Elm St. moved to 10am."),
        max_length=GLIP_TEXT_MAX,
        help_text="Message that is sent to Glip team.",
    )
    rc_extension = serializers.CharField(
        style=order(4, in_example=False),  # an extension imported into PlanoCore
        required=False,
        allow_blank=True,
        help_text=(
            "Optional to pass a specific Ring Central extension to send the message from that user's account."
        ),
    )
    rc_password = serializers.CharField(
        style={**order(5, in_example=False), "input_type": "password"},  # a secret
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=False,
        help_text="Password associated to rc_extension account.",
    )
    priority = serializers.IntegerField(
        style=order(6),
        required=False,
        default=0,
        min_value=0,
        max_value=32767,
        help_text=(
            "Priority 5 and greater message will be processed in the method process_external_requests if "
            "this was unsuccessful at the time of running."
        ),
    )
    execute = serializers.BooleanField(
        style=order(7),
        required=False,
        default=False,
        help_text="If passed, then the request will be executed at the time of the request.",
    )

    def validate_team_name(self, value: str) -> GlipTeam:
        team = glip_team_active_by_name(value)
        if team is None:
            raise serializers.ValidationError(
                f"no active Glip team is named '{value}'; see {TEAM_LIST_URL} for the team names."
            )
        return team

    def validate(self, attrs: dict) -> dict:
        number, password = attrs.get("rc_extension") or "", attrs.get("rc_password") or ""
        if number and not password:
            raise serializers.ValidationError({"rc_password": "is required when rc_extension is given."})
        if password and not number:
            raise serializers.ValidationError({"rc_extension": "is required when rc_password is given."})
        attrs["extension"] = None
        if number:
            extension = ringcentral_extension_active(number)
            if extension is None:
                raise serializers.ValidationError(
                    {"rc_extension": f"no active RingCentral extension {number} is known to PlanoCore."}
                )
            attrs["extension"] = extension
        return attrs


class GlipMessageListParams(PageParams):
    page_order = 90
    team_name = serializers.CharField(required=False, style=order(2), help_text="Only messages to this team.")
    status = serializers.ChoiceField(
        choices=GlipMessage.Status.choices,
        required=False,
        style=order(3),
        help_text="Only messages in this status.",
    )
    rc_extension = serializers.CharField(
        required=False, style=order(4), help_text="Only messages sent from this extension number."
    )
    priority = serializers.IntegerField(
        required=False, min_value=0, style=order(5), help_text="Exact priority."
    )
    priority_min = serializers.IntegerField(
        required=False, min_value=0, style=order(6), help_text="Only messages with at least this priority."
    )
    post_id = serializers.CharField(required=False, style=order(7), help_text="RingCentral post id.")
    created_after = serializers.DateTimeField(
        required=False, style=order(8), help_text="Created at or after (ISO 8601)."
    )
    created_before = serializers.DateTimeField(
        required=False, style=order(9), help_text="Created before (ISO 8601)."
    )


class GlipMessageIdParams(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, style=order(2), help_text="The Glip message's id.")


class GlipTeamListParams(PageParams):
    page_order = 90
    name = serializers.CharField(
        required=False, style=order(2), help_text="Teams whose name contains this text."
    )
    active = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        style=order(3),
        help_text="true: active teams only; false: inactive only.",
    )
    public = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        style=order(4),
        help_text="true: public teams only; false: private only.",
    )
    chat_id = serializers.CharField(required=False, style=order(5), help_text="RingCentral chat id.")


class GlipTeamOut(serializers.ModelSerializer):
    class Meta:
        model = GlipTeam
        fields = [
            "id",
            "name",
            "chat_id",
            "description",
            "public",
            "active",
            "last_imported_at",
            "created_at",
        ]


class GlipMessageOut(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name")
    chat_id = serializers.CharField(source="team.chat_id")
    message = serializers.CharField(source="text")
    rc_extension = serializers.CharField(source="extension.extension_number", default=None)
    application = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    sent_by = serializers.PrimaryKeyRelatedField(read_only=True)
    will_retry = serializers.SerializerMethodField()

    class Meta:
        model = GlipMessage
        fields = [
            "id",
            "team_name",
            "chat_id",
            "message",
            "rc_extension",
            "priority",
            "status",
            "post_id",
            "last_error",
            "will_retry",
            "sent_by",
            "application",
            "created_at",
            "updated_at",
            "sent_at",
        ]

    def get_will_retry(self, message: GlipMessage) -> bool:
        return message.status in (GlipMessage.Status.QUEUED, GlipMessage.Status.RETRYING)


class OutgoingRequestOut(serializers.Serializer):
    """The proof of an outgoing request: what RingCentral answered, without secrets."""

    id = serializers.IntegerField()
    channel = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    provider_message_id = serializers.CharField()
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField()
    response = serializers.JSONField()


class GlipMessageDetailOut(GlipMessageOut):
    outgoing_requests = OutgoingRequestOut(source="external_requests", many=True, read_only=True)

    class Meta(GlipMessageOut.Meta):
        fields = [*GlipMessageOut.Meta.fields, "outgoing_requests"]
