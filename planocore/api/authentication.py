"""Token authentication: application tokens and user session tokens.

A token comes as `Authorization: Bearer <token>` (or `Token <token>`, Django REST
framework's scheme) or as the `token` param (query string, JSON body or form body);
the header wins over the body, the body over the query string. The request path costs at most one indexed
query for the lookup and, at most once a minute per token, one for recording
its last use. Failed attempts are counted per client address in the cache
(`TOKEN_FAILURES`, a failure budget that fails open when the cache is down).
"""

import functools
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connections, router
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, SessionAuthentication

from planocore.accounts.models import ApiSession, Application, ApplicationToken
from planocore.accounts.tokens import APPLICATION_PREFIX, SESSION_PREFIX, hash_token
from planocore.api import statuses
from planocore.api.exceptions import ApiError
from planocore.budgets import FailureBudget

LAST_USE_INTERVAL = timedelta(minutes=1)


@dataclass
class Principal:
    """Who is calling: an application token, a user's API session, or a staff admin session."""

    application_token: ApplicationToken | None = None
    session: ApiSession | None = None
    user: object = None
    # Set by the permission check when a session acts through the Client role only:
    # the id of the user whose records are all it may see (planocore.api.permissions.scoped).
    client_user_id: int | None = None

    @property
    def application(self):
        if self.application_token is not None:
            return self.application_token.application
        if self.session is not None:
            return self.session.application
        return None

    @property
    def kind(self) -> str:
        if self.application_token is not None:
            return "application"
        if self.session is not None:
            return "session"
        return "admin"


# `Authorization: <scheme> <token>`: OAuth's `Bearer` and Django REST framework's own `Token`.
AUTHORIZATION_SCHEMES = ("bearer", "token")


def param_from_request(request, name: str):
    """A convention param (`token`, `application`) the way params are merged: the body's value
    wins over the query string's, as in `ApiView.raw_params`; None when neither has one."""
    data = request.data
    if hasattr(data, "get"):
        value = data.get(name)
        if value is not None and value != "":
            return value
    return request.query_params.get(name) or None


def token_from_request(request) -> str | None:
    """The request's token: the Authorization header, else the body's `token`, else the query's.

    Params merge the query string, then the body, then the path, a later source winning;
    the Authorization header comes last of all, so it wins over both `token` params.
    """
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    if scheme.lower() in AUTHORIZATION_SCHEMES and credentials.strip():
        return credentials.strip()
    token = param_from_request(request, "token")
    return token if isinstance(token, str) and token else None


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


# Wrong tokens per client address and minute (the one failure-budget mechanism: planocore/budgets.py).
TOKEN_FAILURES = FailureBudget(
    "api:token-failures", rate=lambda: f"{settings.API_TOKEN_FAILURES_PER_MINUTE}/min"
)


def refuse_token(request) -> ApiError:
    """The answer to a wrong token: invalid-token, or too-many-requests past the address's budget.

    Only failures touch the cache, so a request with a good token costs no cache call.
    """
    if TOKEN_FAILURES.record(client_address(request)) > settings.API_TOKEN_FAILURES_PER_MINUTE:
        return ApiError(
            statuses.TOO_MANY_REQUESTS,
            "Too many failed token attempts from this address; try again in a minute.",
            headers={"Retry-After": "60"},
        )
    return ApiError(statuses.INVALID_TOKEN)


def touch(instance, now) -> None:
    """Record last use, at most once a minute, with a single UPDATE."""
    last = instance.last_used_at
    if last is None or now - last >= LAST_USE_INTERVAL:
        type(instance).objects.filter(pk=instance.pk).update(last_used_at=now)
        instance.last_used_at = now


def session_payload(session: ApiSession) -> dict:
    """The `session` object returned with client-required and with session_view."""
    return {
        "id": session.pk,
        "user_id": session.user_id,
        "email": session.user.email,
        "application": session.application.slug if session.application_id else None,
        "remember_me": session.remember_me,
        "created_at": session.created_at.isoformat(),
        "last_used_at": session.last_used_at.isoformat(),
    }


@functools.cache
def _application_token_query(alias: str):
    """The compiled lookup of an unrevoked token and its application by hash, once per database.

    Compiling `ApplicationToken.objects.select_related("application").filter(...)` is
    most of the lookup's cost; the SQL and the column converters are kept and only
    the hash changes. What it earns, counted by `bench/api_instructions.py` (callgrind,
    PostgreSQL, 60 requests of POST /api/v1/notifications): with the plain
    `select_related("application").filter(token_hash=..., revoked_at__isnull=True).first()`
    the request costs 12.67 M instructions (4.97x the plain view's 2.55 M); with this
    one 10.22 M (3.99x): the plain ORM lookup alone is a fifth of the request.
    """
    queryset = (
        ApplicationToken.objects.select_related("application")
        .filter(token_hash=_PLACEHOLDER, revoked_at__isnull=True)
        .order_by()
    )
    compiler = queryset.query.get_compiler(alias)
    sql, params = compiler.as_sql()
    assert list(params) == [_PLACEHOLDER], params  # the hash is the one parameter
    converters = compiler.get_converters([column for column, _, _ in compiler.select])
    return compiler, sql, converters


_PLACEHOLDER = "<token-hash>"
_TOKEN_FIELDS = [f.attname for f in ApplicationToken._meta.concrete_fields]
_APPLICATION_FIELDS = [f.attname for f in Application._meta.concrete_fields]


def application_token_by_hash(token_hash: str) -> ApplicationToken | None:
    """The unrevoked application token with this hash, its application loaded: one indexed query."""
    alias = router.db_for_read(ApplicationToken)
    compiler, sql, converters = _application_token_query(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [token_hash])
        rows = cursor.fetchmany(1)
    if not rows:
        return None
    [row] = compiler.apply_converters(rows, converters) if converters else rows
    split = len(_TOKEN_FIELDS)
    app_token = ApplicationToken.from_db(alias, _TOKEN_FIELDS, row[:split])
    app_token.application = Application.from_db(alias, _APPLICATION_FIELDS, row[split:])
    return app_token


class TokenAuthentication(BaseAuthentication):
    """Authenticate application tokens (`pca_…`) and session tokens (`pcs_…`)."""

    def authenticate(self, request):
        token = token_from_request(request)
        if token is None:
            return None
        now = timezone.now()
        if token.startswith(APPLICATION_PREFIX):
            app_token = application_token_by_hash(hash_token(token))
            if app_token is not None:
                touch(app_token, now)
                return AnonymousUser(), Principal(application_token=app_token)
        elif token.startswith(SESSION_PREFIX):
            session = (
                ApiSession.objects.select_related("user", "application")
                .filter(token_hash=hash_token(token), revoked_at__isnull=True)
                .first()
            )
            if session is not None and session.user.is_active:
                if session.is_expired(now):
                    raise ApiError(statuses.SESSION_EXPIRED)
                touch(session, now)
                return session.user, Principal(session=session, user=session.user)
        raise refuse_token(request)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class AdminSessionAuthentication(SessionAuthentication):
    """Let staff signed in to the admin use the browsable API."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None or not result[0].is_staff:
            return None
        return result[0], Principal(user=result[0])
