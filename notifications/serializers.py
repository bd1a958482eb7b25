"""Params of the notifications routes (the seed's order) and the shapes of the `view`s."""

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from notifications.channels import channel_problems
from notifications.models import Notification, NotificationType, Processed
from planocore.api import statuses
from planocore.api.endpoints import order
from planocore.api.exceptions import ApiError
from planocore.api.fields import E164, api_datetime, email_address, one_line
from planocore.api.pagination import PageParams
from planocore.api.permissions import client_user_id
from planocore.delivery import DeliveryState
from planocore.providers.ringcentral.selectors import ringcentral_extension_default
from planocore.routes.list_items import list_item_url

MAX_RECIPIENTS = 50
# What `status` may be filtered by: the delivery states (planocore/delivery.py), the values
# PlanoCore writes. A caller's own status string is stored as given, but is not a filter value.
STATUS_FILTER_CHOICES = DeliveryState.choices

DEFAULT_VIEW = "default-view"
PROOF_VIEW = "default-with-proof"
INTERNAL_VIEW = "internal-applications-view"
VIEWS = [
    (DEFAULT_VIEW, "The notification as callers use it."),
    (PROOF_VIEW, "default-view plus `proof`: each outgoing request with its provider's answer."),
    (
        INTERNAL_VIEW,
        "The fields the FileMaker internal apps sync (*_fm, updated_in, processed, processed_at).",
    ),
]

# The seed's params that are Notification fields, plus PlanoCore's `team_name`.
FIELD_PARAMS = (
    "key",
    "status",
    "email_from",
    "email_subject",
    "email_technician",
    "user_id",
    "olio_id",
    "tour_id",
    "client_id",
    "email_to",
    "email_cc",
    "email_bcc",
    "email_body",
    "notifyable_type",
    "notifyable_id",
    "updated_at_fm",
    "updated_in",
    "created_at_fm",
    "processed",
    "processed_at",
    "processed_at_fm",
    "notification_type",
    "phone_from",
    "phone_to",
    "media_url",
    "extension",
    "team_name",
)


# What a client (a customer's session) may not choose: PlanoCore sends as itself.
SENDER_PARAMS = ("email_from", "phone_from", "extension")


def _denied(param: str, message: str) -> ApiError:
    return ApiError(statuses.PERMISSION_DENIED, f"`{param}`: {message}", param=param)


def keep_client_to_itself(attrs: dict, user) -> None:
    """A client sends only as PlanoCore and only to itself (issue 25.3): permission-denied naming the param.

    No sender of its choosing (`email_from`, `phone_from`, `extension`); email only to its
    user's address (to, cc and bcc), texts only to its Client record's phone. An sms or mms
    goes from the default RingCentral extension, an email from DEFAULT_FROM_EMAIL.
    """
    for name in SENDER_PARAMS:
        if attrs.get(name):
            raise _denied(
                name, "a client cannot choose the sender; leave it out (PlanoCore sends as itself)."
            )
    own_email = (user.email or "").lower()
    for name in ("email_to", "email_cc", "email_bcc"):
        if any(email_address(a) != own_email for a in Notification.split(attrs.get(name) or "")):
            raise _denied(name, f"a client may email only its own address ({user.email}).")
    own_phone = getattr(getattr(user, "client", None), "phone", "")
    if any(number != own_phone for number in Notification.split(attrs.get("phone_to") or "")):
        raise _denied("phone_to", "a client may text only its own phone (the phone of its client record).")
    if attrs.get("notification_type") in (NotificationType.SMS, NotificationType.MMS):
        sender = ringcentral_extension_default()
        attrs["extension"] = sender.extension_number if sender is not None else ""


def _required(message: str) -> ErrorDetail:
    return ErrorDetail(message, code="required")


class _ListField(serializers.CharField):
    """A comma-separated list (one item only when `single`), each item checked by `check`."""

    one = many = ""  # what an item is called, for the messages
    separator = ","
    header = False  # the value becomes an email header: no line breaks

    def __init__(self, *, single: bool = False, **kwargs):
        self.single = single
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def check(self, part: str) -> None:
        raise NotImplementedError

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if self.header:
            one_line(value)
        parts = Notification.split(value)
        if self.single and len(parts) > 1:
            raise serializers.ValidationError(f"give one {self.one}.")
        if len(parts) > MAX_RECIPIENTS:
            raise serializers.ValidationError(f"at most {MAX_RECIPIENTS} {self.many}.")
        for part in parts:
            self.check(part)
        return self.separator.join(parts)


class EmailListField(_ListField):
    """Comma-separated email addresses ("a@x.com, Name <b@y.com>"); `single` allows one."""

    one, many, separator = "email address", "addresses", ", "
    header = True

    def check(self, part: str) -> None:
        try:
            email_address(part)
        except ValueError:
            raise serializers.ValidationError(
                f"'{part}' is not one valid email address; give one per comma (ann@example.com or "
                "Ann <ann@example.com>)."
            ) from None


class PhoneListField(_ListField):
    """E.164 phone numbers (+15551234567), comma-separated unless `single`."""

    one, many = "phone number", "numbers"

    def check(self, part: str) -> None:
        if not E164.match(part):
            raise serializers.ValidationError(
                f"'{part}' is not an E.164 phone number (a + then up to 15 digits, e.g. +15551234567)."
            )


def _text(order_number: int, help_text: str = "", max_length: int | None = None, **kwargs):
    return serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=max_length,
        style=order(order_number),
        help_text=help_text,
        **kwargs,
    )


def _datetime(order_number: int, help_text: str = ""):
    return serializers.DateTimeField(
        required=False, allow_null=True, style=order(order_number), help_text=help_text + " ISO-8601."
    )


def _shallow_copy(field: serializers.Field) -> serializers.Field:
    twin = field.__class__.__new__(field.__class__)
    twin.__dict__.update(field.__dict__)
    return twin


class ViewParam(serializers.Serializer):
    """Base of the params serializers: `view`, and fields copied without deepcopy.

    DRF deep-copies every declared field for each serializer instance; for a
    route's params (built on every request) a shallow copy of each declared field
    is five times cheaper and enough: `bind` sets the copy's own name and parent,
    and nothing mutates what the copies share (choices, validators, messages).
    The copy is made as `copy.copy` makes it (the class's `__new__`, then the
    original's attributes), without its trip through `__reduce_ex__`:
    bench/api_instructions.py (callgrind, PostgreSQL, Redis, 60 requests) counted
    8.28 M instructions a POST /api/v1/notifications against 8.79 M with `copy.copy`.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: _shallow_copy(f) for name, f in self._declared_fields.items()}

    view = serializers.ChoiceField(
        choices=VIEWS,
        required=False,
        default=DEFAULT_VIEW,
        style=order(100),
        help_text=f"Shape of the returned notification; see {list_item_url('view')}.",
    )

    def client_id_of_caller(self) -> int | None:
        """The user id a client caller is kept to (planocore.api.permissions); None otherwise."""
        request = self.context.get("request")
        return client_user_id(request) if request is not None else None

    def validate_view(self, value: str) -> str:
        if value == PROOF_VIEW and self.client_id_of_caller() is not None:
            # The proof is the outbox's rows and the providers' answers: not for customers.
            raise serializers.ValidationError(f"'{PROOF_VIEW}' is not open to clients; use '{DEFAULT_VIEW}'.")
        return value


def _given(name: str) -> dict:
    """JSON Schema: `name` is given and not blank (white space is blank but in `email_body`, kept as sent)."""
    given = {"minLength": 1} if name == "email_body" else {"pattern": r"\S"}
    return {"required": [name], "properties": {name: given}}


def _of_type(*kinds: str, needs: tuple[str, ...] = (), also: tuple[dict, ...] = ()) -> dict:
    """JSON Schema: a notification of one of `kinds` (sent) with the params `needs` given, and `also`."""
    rule = {"required": ["notification_type"], "properties": {"notification_type": {"enum": list(kinds)}}}
    return {**rule, "allOf": [*(_given(name) for name in needs), *also]}


_TEXT = {"anyOf": [_given("email_body"), _given("email_subject")]}  # services.message_text
_SENDER = {"anyOf": [_given("phone_from"), _given("extension")]}


class NotificationCreateParams(ViewParam):
    """The seed's params in the seed's order (its order numbers kept), then `team_name`.

    Beyond each field's format, `validate` checks what each notification_type needs
    (`channels.channel_problems`); `openapi_rules` says the same in the schema, but for
    what needs records (an active team, a known extension, a linked user).
    """

    openapi_rules = {
        "minProperties": 1,  # a create route given no params answers no-params-decoded
        "anyOf": [
            {"not": {"required": ["notification_type"]}},  # stored, not sent
            {"properties": {"notification_type": {"enum": [""]}}},
            {"required": ["processed"], "properties": {"processed": {"enum": [Processed.YES]}}},
            _of_type(NotificationType.EMAIL, needs=("email_to",), also=(_TEXT,)),
            _of_type(NotificationType.SMS, needs=("phone_to",), also=(_TEXT, _SENDER)),
            _of_type(NotificationType.MMS, needs=("phone_to", "media_url"), also=(_TEXT, _SENDER)),
            _of_type(NotificationType.GLIP, needs=("team_name",), also=(_TEXT,)),
            _of_type(NotificationType.CONVERSATION, needs=("user_id",), also=(_TEXT,)),
        ],
    }

    key = _text(100, "key identifier. Typically in slug form.", 100)
    status = _text(
        200,
        "status of the notification. Replaced by the server on a notification it sends (one with a "
        "notification_type and processed not 1): `queued` when none is given, then the state of its "
        "latest outgoing request (`sending`, `retrying`, `sent`, `failed`, `abandoned`, `suppressed`: "
        "docs/outbox.md). What Mandrill reports afterwards (`delivered`, `opened`, `bounced`…) is "
        "each request's `delivery_status` in the `default-with-proof` view. Kept as given on a "
        "notification stored and not sent.",
        50,
    )
    email_from = EmailListField(
        single=True,
        style=order(300, example="ops@planomatic.example"),
        help_text="Indicates who the email notification is from (one address).",
    )
    email_subject = _text(
        400, "Indicates the subject of an email notification (one line).", 998, validators=[one_line]
    )
    email_technician = _text(500, "Technician the notification is about (name or email).", 254)
    user_id = _text(600, "User ID of associated usere record.", 64)
    olio_id = _text(700, "order ID", 64)
    tour_id = _text(800, "Tour ID.", 64)
    client_id = _text(900, "Client ID.", 64)
    email_to = EmailListField(
        style=order(1000, example="client@example.com"),
        help_text="Indicates who the email notification is directed to (comma-separated).",
    )
    email_cc = EmailListField(
        style=order(1100, example="office@example.com"), help_text="Carbon-copy addresses (comma-separated)."
    )
    email_bcc = EmailListField(
        style=order(1200, example="records@example.com"),
        help_text="Blind carbon-copy addresses (comma-separated).",
    )
    email_body = _text(
        1300,
        "Indicates the body of an email notification (also the text of sms, mms, glip and "
        "conversation ones).",
        trim_whitespace=False,
    )
    notifyable_type = _text(1400, "Polymorphic Model association by model name", 100)
    notifyable_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,  # the column is a bigint
        style=order(1500),
        help_text="Polymorphic Model association by model ID",
    )
    updated_at_fm = _datetime(1600, "When the notification was updated in internal apps.")
    updated_in = _text(1700, "Indicates the app location where notification was last updated.", 100)
    created_at_fm = _datetime(1800, "When the notification was created in internal apps.")
    processed = serializers.ChoiceField(
        choices=Processed.choices,
        required=False,
        style=order(1900),
        help_text="Indicates if the notification was processed or not (0 or 1). "
        "A notification created with 1 is stored and not sent. On one the server sends, the value "
        "given is replaced: 1 once the provider accepts it.",
    )
    processed_at = _datetime(
        2000,
        "Indicates when a notification was processed. On one the server sends, the value given is "
        "replaced by the time the provider accepted it.",
    )
    processed_at_fm = _datetime(2100, "Indicates when a notification was processed in internal apps.")
    notification_type = serializers.ChoiceField(
        choices=NotificationType.choices,
        required=False,
        allow_blank=True,
        style=order(2200),
        help_text=f"How the notification is sent; see {list_item_url('notification_type')}. "
        "Without it the notification is stored and not sent.",
    )
    phone_from = PhoneListField(
        single=True,
        style=order(2300, example="+12125552368"),
        help_text="E.164 number the sms/mms is sent from.",
    )
    phone_to = PhoneListField(
        style=order(2400, example="+12125552369"),
        help_text="E.164 numbers the sms/mms goes to (comma-separated).",
    )
    media_url = serializers.URLField(
        required=False,
        allow_blank=True,
        max_length=2000,
        style=order(2400),
        help_text="https URL of the media attached to an mms (http only where the server allows it); "
        "its host must resolve to public addresses only.",
    )
    extension = serializers.RegexField(
        r"^\d{1,10}$",
        required=False,
        allow_blank=True,
        style=order(2500, example="101"),
        help_text="RingCentral extension number that sends the sms/mms (instead of phone_from).",
        error_messages={"invalid": "give a RingCentral extension number (digits)."},
    )
    team_name = _text(
        2600,
        "PlanoCore's addition: the Glip team a glip notification is posted to "
        f"(see {list_item_url('glip_team')}).",
        100,
    )

    def validate_media_url(self, value: str) -> str:
        # The shape only; what the server may fetch is judged for mms in channel_problems.
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("use an http or https URL.")
        return value

    def validate(self, attrs: dict) -> dict:
        own = self.client_id_of_caller()
        if own is not None:
            # A client notifies itself only, and never posts to Glip (the staff's chat).
            if attrs.get("user_id") not in (None, "", str(own)):
                raise serializers.ValidationError(
                    {"user_id": [f"a client creates notifications for itself only: give {own} or nothing."]}
                )
            attrs["user_id"] = str(own)
            if attrs.get("notification_type") == NotificationType.GLIP:
                raise serializers.ValidationError(
                    {"notification_type": ["glip notifications are not open to clients."]}
                )
            keep_client_to_itself(attrs, self.context["request"].auth.user)
        problems = channel_problems(attrs)
        if problems:
            raise serializers.ValidationError(
                {
                    field: [_required(message) if missing else ErrorDetail(message, code="invalid")]
                    for field, message, missing in problems
                }
            )
        return attrs


class NotificationListParams(PageParams, ViewParam):
    """Filters of GET /api/v1/notifications and the page params."""

    page_order = 1200

    key = _text(200, "Only notifications with this key.", 100)
    status = serializers.ChoiceField(
        choices=STATUS_FILTER_CHOICES,
        required=False,
        style=order(300),
        help_text="Only notifications in this delivery state (" + ", ".join(DeliveryState.values) + ").",
    )
    notification_type = serializers.ChoiceField(
        choices=NotificationType.choices, required=False, style=order(400), help_text="Only this type."
    )
    user_id = _text(500, "Only this user's notifications.", 64)
    olio_id = _text(600, "Only this order's notifications.", 64)
    tour_id = _text(700, "Only this tour's notifications.", 64)
    client_id = _text(800, "Only this client's notifications.", 64)
    processed = serializers.ChoiceField(
        choices=Processed.choices, required=False, style=order(900), help_text="0 or 1."
    )
    created_after = _datetime(1000, "Only notifications created at or after this time.")
    created_before = _datetime(1100, "Only notifications created before this time.")


class NotificationDetailParams(ViewParam):
    id = serializers.IntegerField(min_value=1, style=order(50), help_text="The notification's id.")


# --- output -------------------------------------------------------------------
_iso = api_datetime


def _default(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "key": n.key,
        "status": n.status,
        "notification_type": n.notification_type,
        "email_from": n.email_from,
        "email_subject": n.email_subject,
        "email_technician": n.email_technician,
        "email_to": n.email_to,
        "email_cc": n.email_cc,
        "email_bcc": n.email_bcc,
        "email_body": n.email_body,
        "user_id": n.user_id,
        "olio_id": n.olio_id,
        "tour_id": n.tour_id,
        "client_id": n.client_id,
        "phone_from": n.phone_from,
        "phone_to": n.phone_to,
        "media_url": n.media_url,
        "extension": n.extension,
        "team_name": n.team_name,
        "notifyable_type": n.notifyable_type,
        "notifyable_id": n.notifyable_id,
        "updated_in": n.updated_in,
        "processed": n.processed,
        "processed_at": _iso(n.processed_at),
        "created_at": _iso(n.created_at),
        "updated_at": _iso(n.updated_at),
    }


def _internal(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "key": n.key,
        "status": n.status,
        "notification_type": n.notification_type,
        "created_at_fm": _iso(n.created_at_fm),
        "updated_at_fm": _iso(n.updated_at_fm),
        "processed_at_fm": _iso(n.processed_at_fm),
        "updated_in": n.updated_in,
        "processed": n.processed,
        "processed_at": _iso(n.processed_at),
    }


def request_proof(request) -> dict[str, Any]:
    """One outgoing request as proof: what was done, when, and what the provider said."""
    return {
        "id": request.pk,
        "channel": request.channel,
        "action": request.action,
        "status": request.status,
        "attempts": request.attempts,
        "provider_message_id": request.provider_message_id,
        "delivery_status": request.delivery_status,
        "last_error": request.last_error,
        "created_at": _iso(request.created_at),
        "sent_at": _iso(request.sent_at),
        "next_attempt_at": _iso(request.next_attempt_at),
        "updated_at": _iso(request.updated_at),
        "superseded_by": request.superseded_by_id,
        "resolved_at": _iso(request.resolved_at),
        "resolution": request.resolution,
        # Backends store the response with secrets already removed.
        "response": request.response,
    }


def notification_out(notification: Notification, view: str = DEFAULT_VIEW) -> dict[str, Any]:
    """The notification in the shape `view` names (requests prefetched for the proof view)."""
    if view == INTERNAL_VIEW:
        return _internal(notification)
    data = _default(notification)
    if view == PROOF_VIEW:
        requests = sorted(notification.outgoing_requests.all(), key=lambda r: r.pk)
        data["proof"] = [request_proof(r) for r in requests]
    return data
