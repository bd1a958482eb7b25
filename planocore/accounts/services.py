"""Services for applications and their tokens."""

from collections.abc import Iterable

from django.contrib.auth.models import Permission
from django.db import transaction

from planocore.accounts.models import Application, ApplicationToken
from planocore.accounts.tokens import APPLICATION_PREFIX, hash_token, make_token

# The apps whose models the API serves: a token made without --permission gets
# every permission of these.
API_APP_LABELS = ("planocore", "outbox", "glip", "notifications", "cancelations", "messaging")


def api_permissions():
    return Permission.objects.filter(content_type__app_label__in=API_APP_LABELS)


def resolve_permissions(codes: Iterable[str]) -> list[Permission]:
    """Turn "app_label.codename" strings into Permissions; ValueError names an unknown one."""
    found = []
    for code in codes:
        app_label, _, codename = code.partition(".")
        perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if perm is None:
            raise ValueError(f"Unknown permission {code!r}: use app_label.codename.")
        found.append(perm)
    return found


@transaction.atomic
def application_token_create(
    *,
    application: Application,
    permissions: Iterable[Permission] | None = None,
    name: str = "",
    created_by=None,
) -> tuple[ApplicationToken, str]:
    """Make a token for the application; return it and its clear text (shown only once).

    With `permissions` None, the token gets every permission of the API's models.
    """
    clear = make_token(APPLICATION_PREFIX)
    token = ApplicationToken.objects.create(
        application=application,
        name=name,
        token_hash=hash_token(clear),
        prefix=clear[:10],
        created_by=created_by,
    )
    token.permissions.set(list(permissions) if permissions is not None else api_permissions())
    return token, clear
