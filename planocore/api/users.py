"""POST /api/v1/users/client_register: a signed-in user without a role registers as a client.

The route `client-required` sends callers to. A sensitive-params route, like signing
in: the body is the base64 encoding of the JSON params, which are never logged.
"""

from rest_framework import serializers

from planocore.accounts.models import Application, Client
from planocore.accounts.services import AlreadyAClient, client_register
from planocore.api import statuses
from planocore.api.authentication import session_payload
from planocore.api.endpoints import CLIENTS_OWN, Endpoint, order
from planocore.api.exceptions import ApiError, invalid_param
from planocore.api.fields import PhoneNumberField
from planocore.api.permissions import applications_by_slug
from planocore.api.sessions import session_view_field
from planocore.api.views import ApiView

REGISTRATION_APPLICATION = "planoauth"


def validate_client_application(value: str) -> str:
    apps = applications_by_slug()
    if value not in apps:
        raise serializers.ValidationError(
            f"'{value}' is not an application; see /documentation/list_items/application."
        )
    if apps[value]["role"] != Application.Role.CLIENT:
        raise serializers.ValidationError(
            f"'{value}' selects the {apps[value]['role']} role; clients register in an application "
            f"that selects the client role, such as {REGISTRATION_APPLICATION}."
        )
    return value


class ClientRegisterParams(serializers.Serializer):
    application = serializers.CharField(
        required=False,
        default=REGISTRATION_APPLICATION,
        validators=[validate_client_application],
        style=order(200, list_item="application", example=REGISTRATION_APPLICATION),
        help_text="Slug of the application the user registers in; one that selects the client "
        "role (default planoauth). Its role is the one the new Client record gives.",
    )
    session_view = session_view_field()
    name = serializers.CharField(
        max_length=200,
        style=order(400, example="Jane Doe"),
        help_text="The client's name as staff and notices show it. Required: a client record "
        "nobody can recognise cannot be served.",
    )
    phone = PhoneNumberField(
        style=order(500, example="+12125552368"),
        help_text="The client's phone number, with + and the country code (E.164; spaces, dashes "
        "and brackets are dropped). Required: orders and their SMS notices reach the client by it.",
    )
    company = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        style=order(600, example="Doe Realty"),
        help_text="The client's company. Optional: many clients order for themselves.",
    )


class ClientOut(serializers.ModelSerializer):
    groups = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Client
        fields = ["id", "user_id", "name", "phone", "company", "active", "groups", "created_at"]


class ClientRegisterView(ApiView):
    service = "users"
    service_name = "Users"
    endpoints = {
        "POST": Endpoint(
            slug="users-client-register",
            title="Users Client Register API",
            purpose="Register the signed-in user as a client: make the user's Client record, in the "
            "default client group, for an application that selects the client role (planoauth). "
            "Pass the session token `client-required` answered with; the same token then works on "
            "client routes without signing in again. Answers the session and the client.",
            params=ClientRegisterParams,
            role_required=False,
            sensitive=True,
            session_token=True,
            clients=CLIENTS_OWN,  # its own user only (a client registering again: invalid-param)
            responses=(statuses.PERMISSION_DENIED,),  # an application token
        ),
    }

    def post(self, request):
        principal = request.auth
        if principal.session is None:
            raise ApiError(
                statuses.PERMISSION_DENIED,
                "Only a signed-in user's session token (pcs_…) can register as a client; "
                "an application token has no user.",
            )
        params = request.params
        try:
            client = client_register(
                user=principal.user,
                name=params["name"],
                phone=params["phone"],
                company=params["company"],
            )
        except AlreadyAClient:
            raise invalid_param(
                "token", "this session's user already has a Client record; call the client routes."
            ) from None
        payload = session_payload(principal.session)
        return self.respond({"session": payload, "client": ClientOut(client).data}, session=payload)
