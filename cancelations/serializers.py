"""Params (what each route accepts, in the seed's order) and the shapes the routes return."""

from django.conf import settings
from rest_framework import serializers

from cancelations.models import Cancelation, CancelationReason
from cancelations.services import FIELDS
from planocore.api.endpoints import order
from planocore.api.pagination import PageParams
from planocore.api.permissions import applications_by_slug, client_user_id


def _style(number: int, **extra) -> dict:
    return {**order(number), **extra}


class ApplicationParam(serializers.ChoiceField):
    """`application`: one of the applications (the list item `application`).

    Its choices are read when the params are built (from the cached list of
    applications), so validation and the documentation show the current ones.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("style", _style(200, list_item="application"))
        kwargs.setdefault(
            "help_text",
            "Slug of application being requested. This is used to determine the role being used to "
            "make the request and therefore evaluate if the requester has the correct permissions.",
        )
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": "'{input}' is not an application; see /documentation/list_items/application."},
        )
        super().__init__(choices=[], **kwargs)


class CommonParams(serializers.Serializer):
    """The params every cancelations route takes after `token` (100)."""

    application = ApplicationParam()
    session_view = serializers.CharField(
        required=False,
        style=_style(300),
        help_text="View of session object you would like returned.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = sorted(applications_by_slug())


def _cancelable_type(*, in_example: bool = True, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=list(settings.CANCELABLE_TYPES),
        style=_style(400, in_example=in_example),
        help_text="Type of the record being canceled (a polymorphic reference by model name).",
        **kwargs,
    )


def _cancelable_id(*, in_example: bool = True, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,  # the column is a (positive) bigint
        style=_style(400, in_example=in_example),
        help_text="Id of the record being canceled (a polymorphic reference by model id).",
        **kwargs,
    )


class CancelationFieldsParams(CommonParams):
    """The cancelation's own fields, in the seed's order (cancelable_type/id are added by subclasses)."""

    key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        style=_style(400),
        help_text="Key identifier of the cancelation, typically in slug form.",
    )
    reason_id = serializers.IntegerField(
        required=False,
        min_value=1,
        style=_style(500, list_item="cancelation_reason", in_example=False),
        help_text="Id of the cancelation reason. A reason (reason_id or reason_slug) is needed to cancel; "
        "when both are given they must name the same reason.",
    )
    reason_slug = serializers.SlugField(
        required=False,
        max_length=100,
        style=_style(600, list_item="cancelation_reason"),
        help_text="Slug of the cancelation reason; an alternative to reason_id "
        "(see /documentation/list_items/cancelation_reason).",
    )
    reason_text = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        style=_style(700),
        help_text="The reason as people read it; copied from the reason when not given.",
    )
    reason_note = serializers.CharField(
        required=False,
        allow_blank=True,
        style=_style(800),
        help_text="Free note about why the record was canceled.",
    )
    canceled_at = serializers.DateTimeField(
        required=False,
        style=_style(900, type="string"),
        help_text="When the record was canceled (ISO-8601); defaults to now when a cancelation "
        "becomes active.",
    )
    canceled_by = serializers.CharField(
        required=False,
        max_length=150,
        style=_style(1000),
        help_text="Who canceled (user id or application slug); defaults to the caller.",
    )
    canceled_in = serializers.CharField(
        required=False,
        max_length=100,
        style=_style(1100),
        help_text="Application the cancelation was made in; defaults to the caller's application.",
    )
    reinstated_at = serializers.DateTimeField(
        required=False,
        style=_style(1200, type="string", in_example=False),
        help_text="When the record was reinstated (ISO-8601); only with active=false, defaults to now "
        "when reinstating. Not before canceled_at.",
    )
    reinstated_by = serializers.CharField(
        required=False,
        max_length=150,
        style=_style(1300, in_example=False),
        help_text="Who reinstated (user id or application slug); only with active=false, defaults to "
        "the caller.",
    )
    reinstated_note = serializers.CharField(
        required=False,
        allow_blank=True,
        style=_style(1400, in_example=False),
        help_text="Free note about the reinstatement; only with active=false.",
    )
    active = serializers.BooleanField(
        required=False,
        style=_style(1500),
        help_text="true: the record is canceled. false on an active cancelation reinstates the record "
        "(it cannot be reinstated twice); true on a reinstated one cancels it again.",
    )

    def validate(self, attrs: dict) -> dict:
        request = self.context.get("request")
        own = client_user_id(request) if request is not None else None
        if own is not None:
            # A client acts in its own name only: its cancelations are those it canceled.
            for name in ("canceled_by", "reinstated_by"):
                if name in attrs and attrs[name] != str(own):
                    raise serializers.ValidationError({name: [f"a client acts in its own name: give {own}."]})
        return super().validate(attrs)


class CancelationUpdateParams(CancelationFieldsParams):
    """PATCH /cancelations/{id}: exactly the seed's params, in its order."""

    id = serializers.IntegerField(
        min_value=1, style=_style(400), help_text="Id of the cancelation to update."
    )
    # Left out of the example: moving a cancelation to another record is rare.
    cancelable_type = _cancelable_type(required=False, in_example=False)
    cancelable_id = _cancelable_id(required=False, in_example=False)

    def get_fields(self):
        return _in_seed_order(super().get_fields())


class CancelationCreateParams(CancelationFieldsParams):
    """POST /cancelations: the update route's params without `id`; cancelable_type and id required."""

    cancelable_type = _cancelable_type()
    cancelable_id = _cancelable_id()

    def get_fields(self):
        return _in_seed_order(super().get_fields())


# The seed's order: the common params, then the fields a caller may set (services.FIELDS,
# written once there), `reason` given as reason_id or reason_slug.
SEED_ORDER = (
    "application",
    "session_view",
    "id",
    *(name for field in FIELDS for name in (("reason_id", "reason_slug") if field == "reason" else (field,))),
)


def _in_seed_order(fields):
    """Declared fields come parents-first; put them in the seed's order."""
    ordered = {name: fields[name] for name in SEED_ORDER if name in fields}
    ordered.update({name: field for name, field in fields.items() if name not in ordered})
    return ordered


class CancelationReadParams(CommonParams):
    id = serializers.IntegerField(min_value=1, style=_style(400), help_text="Id of the cancelation.")


class CancelationListParams(PageParams, CommonParams):
    """GET /cancelations: filters and the page params."""

    page_order = 1100

    cancelable_type = serializers.ChoiceField(
        choices=list(settings.CANCELABLE_TYPES),
        required=False,
        style=_style(400),
        help_text="Only cancelations of records of this type.",
    )
    cancelable_id = serializers.IntegerField(
        required=False,
        min_value=1,
        style=_style(400),
        help_text="Only cancelations of the record with this id.",
    )
    active = serializers.BooleanField(
        required=False, style=_style(500), help_text="true: only active ones; false: only reinstated ones."
    )
    reason = serializers.CharField(
        required=False,
        style=_style(600, list_item="cancelation_reason"),
        help_text="Only cancelations with this reason, by id or slug.",
    )
    canceled_after = serializers.DateTimeField(
        required=False, style=_style(700), help_text="Only cancelations canceled at or after this time."
    )
    canceled_before = serializers.DateTimeField(
        required=False, style=_style(800), help_text="Only cancelations canceled before this time."
    )
    reinstated_after = serializers.DateTimeField(
        required=False,
        style=_style(900, type="string"),
        help_text="Only cancelations reinstated at or after this time.",
    )
    reinstated_before = serializers.DateTimeField(
        required=False, style=_style(1000), help_text="Only cancelations reinstated before this time."
    )


class CancelationReasonListParams(PageParams, CommonParams):
    page_order = 500

    include_inactive = serializers.BooleanField(
        required=False,
        default=False,
        style=_style(400),
        help_text="true: list the reasons no longer offered too.",
    )


class CancelationOut(serializers.ModelSerializer):
    reason_slug = serializers.SerializerMethodField()

    class Meta:
        model = Cancelation
        # The seed's fields from cancelable_type on, between the id and the timestamps.
        fields = ["id", *SEED_ORDER[SEED_ORDER.index("cancelable_type") :], "created_at", "updated_at"]

    def get_reason_slug(self, obj: Cancelation) -> str | None:
        return obj.reason_slug


class CancelationReasonOut(serializers.ModelSerializer):
    class Meta:
        model = CancelationReason
        fields = ["id", "slug", "text", "active", "order"]
