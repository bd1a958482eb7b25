"""Params of the messaging routes (validated before any call to Sunshine Conversations) and output."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from messaging.models import MessagingClient
from planocore.api.endpoints import order
from planocore.api.fields import normalize_phone_number
from planocore.api.pagination import PageParams
from planocore.api.parsers import json_loads
from planocore.api.permissions import scoped
from planocore.providers.sandbox import SandboxClientsBackend

# The examples' user: the demo client `make run` loads (user 2 on a fresh database).
EXAMPLE_USER_ID = 2
RECORD_ID = r"^[A-Za-z0-9]{24}$"  # SC record ids (page cursors) are 24 characters
PROVIDER_ID = r"^[A-Za-z0-9_-]{1,64}$"
MATCH_TYPES = {
    MessagingClient.Type.MAILGUN: "address",
    MessagingClient.Type.MESSAGEBIRD: "phoneNumber",
    MessagingClient.Type.TWILIO: "phoneNumber",
    MessagingClient.Type.WHATSAPP: "phoneNumber",
}


def _flatten(detail: dict, prefix: str = "") -> dict:
    """{"matchCriteria": {"phoneNumber": [...]}} → {"matchCriteria.phoneNumber": [...]}."""
    flat: dict = {}
    for key, value in detail.items():
        name = prefix.rstrip(".") if key == api_settings.NON_FIELD_ERRORS_KEY and prefix else f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


class ParamsSerializer(serializers.Serializer):
    """Params whose errors name nested fields with dots (`matchCriteria.phoneNumber`)."""

    def run_validation(self, data=empty):
        try:
            return super().run_validation(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                raise serializers.ValidationError(_flatten(exc.detail)) from None
            raise


class JsonObjectSerializer(serializers.Serializer):
    """A nested object param: a JSON object, or (in form bodies) a string holding one."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json_loads(data)
            except ValueError as exc:
                raise serializers.ValidationError(
                    {api_settings.NON_FIELD_ERRORS_KEY: [f"Send a JSON object: {exc}"]}
                ) from None
        return super().to_internal_value(data)


class UserIdField(serializers.IntegerField):
    """The PlanoCore user id in the path; validated to an existing user (kept under `user`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("source", "user")
        kwargs.setdefault(
            "help_text",
            "The PlanoCore user id (also the user's externalId in Sunshine Conversations).",
        )
        kwargs.setdefault("style", order(1, example=EXAMPLE_USER_ID))
        super().__init__(**kwargs)

    def run_validation(self, data=empty):
        pk = super().run_validation(data)
        # A client reaches its own user only; another's id answers as one that does not exist.
        users = scoped(get_user_model().objects.all(), self.context.get("request"), owner="pk")
        user = users.filter(pk=pk).first()
        if user is None:
            raise serializers.ValidationError(f"No user with id {pk}.")
        return user


class MatchCriteriaParams(JsonObjectSerializer):
    # What `validate` enforces per type, for the schema: mailgun matches by address, the others by phone.
    openapi_rules = {
        "anyOf": [
            {
                "properties": {"type": {"enum": [MessagingClient.Type.MAILGUN]}},
                "required": ["address"],
                "not": {"required": ["phoneNumber"]},
            },
            {
                "properties": {
                    "type": {"enum": [t for t, field in MATCH_TYPES.items() if field == "phoneNumber"]}
                },
                "required": ["phoneNumber"],
                "not": {"anyOf": [{"required": ["address"]}, {"required": ["subject"]}]},
            },
        ]
    }

    type = serializers.ChoiceField(
        choices=[(t.value, t.label) for t in MATCH_TYPES],
        help_text="The channel type. `mailgun` matches by `address`; the others by `phoneNumber`.",
        style=order(1),
    )
    integrationId = serializers.RegexField(  # noqa: N815 - the contract's name
        PROVIDER_ID,
        help_text="The ID of the integration to link. Must match the provided type.",
        style=order(2),
    )
    primary = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Whether the client becomes the primary for the target conversation once linked.",
        style=order(3),
    )
    address = serializers.EmailField(
        required=False,
        max_length=254,
        help_text="The user's email address (type mailgun only).",
        style=order(4),
    )
    subject = serializers.CharField(
        required=False,
        max_length=255,
        help_text="The subject of the outgoing emails (type mailgun only; "
        "default `New message from {appName}`).",
        style=order(5),
    )
    phoneNumber = serializers.CharField(  # noqa: N815 - the contract's name
        required=False,
        max_length=32,
        help_text="The user's phone number with the + prefix and the country code, e.g. +12125552368 "
        "(types messagebird, twilio, whatsapp).",
        style=order(6),
    )

    def validate(self, attrs):
        needed = MATCH_TYPES[attrs["type"]]
        errors = {}
        if needed == "address":
            if not attrs.get("address"):
                errors["address"] = [serializers.ErrorDetail("Required for type mailgun.", code="required")]
            if attrs.get("phoneNumber"):
                errors["phoneNumber"] = ["Only for types messagebird, twilio and whatsapp; send `address`."]
        else:
            if not attrs.get("phoneNumber"):
                errors["phoneNumber"] = [
                    serializers.ErrorDetail(f"Required for type {attrs['type']}.", code="required")
                ]
            else:
                try:
                    attrs["phoneNumber"] = normalize_phone_number(attrs["phoneNumber"])
                except serializers.ValidationError as exc:
                    errors["phoneNumber"] = exc.detail
            for name in ("address", "subject"):
                if attrs.get(name):
                    errors[name] = ["Only for type mailgun; send `phoneNumber`."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


MESSAGE_TEXT = {"type": "string", "pattern": r"\S", "maxLength": 4096}  # not blank, at most 4096


@extend_schema_field(
    {
        "oneOf": [
            MESSAGE_TEXT,
            {
                "type": "object",
                "required": ["content"],
                "properties": {
                    "author": {
                        "type": "object",
                        "nullable": True,
                        "properties": {"type": {"enum": ["business"]}, "displayName": {"type": "string"}},
                    },
                    "content": {
                        "type": "object",
                        "required": ["text"],
                        "properties": {"type": {"enum": ["text"]}, "text": MESSAGE_TEXT},
                    },
                },
            },
        ]
    }
)
class ConfirmationMessageField(serializers.Field):
    """The confirmation message: its text, or the contract's messagePost with text content."""

    def to_internal_value(self, data):
        display_name = None
        if isinstance(data, str):
            text = data
        elif isinstance(data, dict):
            author = data.get("author") or {}
            content = data.get("content")
            if not isinstance(author, dict) or author.get("type", "business") != "business":
                raise serializers.ValidationError("`author.type` can only be business.")
            if not isinstance(content, dict) or content.get("type", "text") != "text":
                raise serializers.ValidationError('Only text content is supported: {"type": "text", ...}.')
            text = content.get("text")
            display_name = author.get("displayName")
            if display_name is not None and not isinstance(display_name, str):
                raise serializers.ValidationError("`author.displayName` must be a string.")
        else:
            raise serializers.ValidationError("Send the message text, or an object with `content.text`.")
        if not isinstance(text, str) or not text.strip():
            raise serializers.ValidationError("The message text is empty.")
        if len(text) > 4096:
            raise serializers.ValidationError("The message text is longer than 4096 characters.")
        author = {"type": "business"}
        if display_name:
            author["displayName"] = display_name[:128]
        return {"author": author, "content": {"type": "text", "text": text}}

    def to_representation(self, value):
        return value


class ConfirmationParams(JsonObjectSerializer):
    type = serializers.ChoiceField(
        choices=[
            ("immediate", "Link at once"),
            ("userActivity", "Link when the user next writes"),
            ("prompt", "Ask the user to confirm"),
        ],
        help_text="The type of confirmation of the link request.",
        style=order(1),
    )
    message = ConfirmationMessageField(
        required=False,
        help_text="The message used to reach out to the user, if desired: its text, or an object "
        '{"author": {"type": "business", "displayName": ...}, "content": {"type": "text", "text": ...}}.',
        style=order(2),
    )


class TargetParams(JsonObjectSerializer):
    conversationId = serializers.RegexField(  # noqa: N815 - the contract's name
        PROVIDER_ID,
        help_text="The conversation ID of the target conversation.",
        style=order(1),
    )


# The Sunshine Conversations contract's own example (create_client).
MATCH_CRITERIA_EXAMPLE = {
    "type": "mailgun",
    "integrationId": "582dedf230e788746891281a",
    "primary": True,
    "address": "steveb@channel5.com",
    "subject": "New message from {appName}",
}
TARGET_EXAMPLE = {"conversationId": "029c31f25a21b47effd7be90"}
# The remove example names the client the create example makes on `make run` (the sandbox's ids
# are stable; with Sunshine Conversations, pass the `id` the create answered).
REMOVE_EXAMPLE_CLIENT_ID = SandboxClientsBackend.client_id_for(
    external_id=str(EXAMPLE_USER_ID),
    criteria=MATCH_CRITERIA_EXAMPLE,
    conversation_id=TARGET_EXAMPLE["conversationId"],
)


class ClientCreateParams(ParamsSerializer):
    user_id = UserIdField()
    matchCriteria = MatchCriteriaParams(  # noqa: N815 - the seed's name
        help_text="The set of criteria used to determine the user's identity on a third-party channel.",
        style=order(2, example=MATCH_CRITERIA_EXAMPLE),
    )
    confirmation = ConfirmationParams(
        help_text="The confirmation options of the link request.",
        style=order(3, example={"type": "immediate"}),
    )
    target = TargetParams(
        help_text="The target conversation to attach the client to.",
        style=order(4, example=TARGET_EXAMPLE),
    )


class ClientListParams(PageParams, ParamsSerializer):
    """A user's clients; SC pages them, so a cursor is SC's own (a client id)."""

    page_order = 2

    user_id = UserIdField()

    def page_cursor_field(self, **kwargs) -> serializers.Field:
        return serializers.RegexField(
            RECORD_ID, error_messages={"invalid": "A page cursor is a 24-character record id."}, **kwargs
        )


class ClientRemoveParams(ParamsSerializer):
    user_id = UserIdField()
    client_id = serializers.RegexField(
        PROVIDER_ID,
        help_text="The Sunshine Conversations id of the client to remove.",
        style=order(2, example=REMOVE_EXAMPLE_CLIENT_ID),
    )


class MessagingClientOut(serializers.ModelSerializer):
    """A client as callers see it: `id` is Sunshine Conversations' client id (what the remove
    route takes as `client_id`, also answered under that name); the local row's id is not shown."""

    id = serializers.CharField(source="client_id", read_only=True)
    user_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = MessagingClient
        fields = [
            "id",
            "client_id",
            "user_id",
            "external_user_id",
            "sc_user_id",
            "type",
            "status",
            "integration_id",
            "address",
            "phone_number",
            "conversation_id",
            "primary",
            "linked_at",
            "last_synced_at",
            "removed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
