"""Services for applications, their tokens, and users' API sessions."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from planocore.accounts.models import ApiSession, Application, ApplicationToken, Client
from planocore.accounts.tokens import APPLICATION_PREFIX, SESSION_PREFIX, hash_token, make_token
from planocore.declarations import declared

CLIENT_GROUP_NAME = "API clients"


def client_group_permissions() -> tuple[str, ...]:
    """What the Client role's group is meant to hold: what a customer may do with its own records.

    Each app lists its part in its AppConfig's `client_permissions`
    (planocore.declarations). Whatever a client's groups hold, the API scopes it to
    its own records (planocore.api.permissions).
    """
    return tuple(code for _, codes in declared("client_permissions") for code in codes)


def api_app_labels() -> list[str]:
    """The apps whose models the API serves: those whose AppConfig sets `api_models = True`.

    Feature apps say so themselves, so the platform names none of them.
    """
    return [config.label for config, _ in declared("api_models")]


def api_permissions():
    """Every permission of the API's models: what a token made without --permission gets."""
    return Permission.objects.filter(content_type__app_label__in=api_app_labels())


@transaction.atomic
def client_group_ensure() -> Group:
    """The Client group ("API clients"), made with `client_group_permissions()` on first use.

    Every client gets it: `load_demo_data`'s demo client and each user who registers
    (`client_register`). Staff may change its permissions in the admin afterwards.
    """
    group, created = Group.objects.get_or_create(name=CLIENT_GROUP_NAME)
    if created:
        group.permissions.set(resolve_permissions(client_group_permissions()))
    return group


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


@sensitive_variables("clear")
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


@transaction.atomic
def application_tokens_revoke(*, tokens: Iterable[ApplicationToken]) -> int:
    """Revoke the tokens that are still active; return how many were revoked.

    Authentication only accepts tokens with no `revoked_at`, so a revoked token
    answers `invalid-token` from the next request on.
    """
    ids = [token.pk for token in tokens]
    return ApplicationToken.objects.filter(pk__in=ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@sensitive_variables("password")
def find_user_by_credentials(*, email: str, password: str):
    """Return the active user with this email and password, or None.

    Emails are compared case-insensitively. When no user has the email a
    password is still hashed, so the answer takes as long either way and does
    not tell whether an email is registered.
    """
    User = get_user_model()
    candidates = list(User.objects.filter(email__iexact=email, is_active=True).order_by("pk")[:5])
    for user in candidates:
        if user.check_password(password):
            return user
    if not candidates:
        User().set_password(password)
    return None


@sensitive_variables("clear")
@transaction.atomic
def api_session_create(
    *,
    user,
    application: Application | None = None,
    remember_me: bool = False,
    ip_address: str | None = None,
    user_agent: str = "",
) -> tuple[ApiSession, str]:
    """Open an API session for the user; return it and its token (shown only once)."""
    clear = make_token(SESSION_PREFIX)
    now = timezone.now()
    session = ApiSession.objects.create(
        user=user,
        application=application,
        token_hash=hash_token(clear),
        prefix=clear[:10],
        remember_me=remember_me,
        last_used_at=now,
        ip_address=ip_address,
        user_agent=user_agent[:300],
    )
    user.last_login = now
    user.save(update_fields=["last_login"])
    return session, clear


@transaction.atomic
def api_sessions_revoke(*, sessions: Iterable[ApiSession]) -> int:
    """Revoke the sessions that are still open; their tokens answer `invalid-token` afterwards."""
    ids = [session.pk for session in sessions]
    return ApiSession.objects.filter(pk__in=ids, revoked_at__isnull=True).update(revoked_at=timezone.now())


class AlreadyAClient(Exception):
    """The user already has a Client record (active or not)."""


@transaction.atomic
def client_register(*, user, name: str, phone: str, company: str = "") -> Client:
    """Make the user's Client record, in the Client group (`client_group_ensure`).

    Raises AlreadyAClient when the user has one (a disabled one stays disabled: staff
    decide). The role's cached permissions are dropped by the receivers when the
    record and its groups are saved, and again after the commit.
    """
    if Client.objects.filter(user=user).exists():
        raise AlreadyAClient
    try:
        with transaction.atomic():
            client = Client.objects.create(user=user, name=name, phone=phone, company=company)
    except IntegrityError:  # registered by a concurrent request since the check
        raise AlreadyAClient from None
    client.groups.add(client_group_ensure())
    return client
