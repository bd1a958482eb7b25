"""Permission checks: a route's permission against the token or the selected role.

Application tokens carry their own permissions. A user's session acts through a
role (Client, Employee, Liaison); the `application` param picks the role (each
Application names one), and that role's groups give the permissions. Permission
sets are cached for a minute so the request path costs no extra query.

Clients are customers: a session acting through the Client role alone (the
application it names selects that role, or it names none and Client is the
user's only active role) is scoped whatever permissions its groups hold. A
route closed to clients (`Endpoint.clients`, closed by default) answers
permission-denied; on the others the view passes its querysets through
`scoped()`, the one place that keeps a client to its own records. Employees,
liaisons, application tokens and staff in the admin keep their permissions'
full reach.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.core.cache import cache
from rest_framework.permissions import BasePermission

from planocore.accounts.models import ROLE_MODELS, Application
from planocore.api import statuses
from planocore.api.authentication import param_from_request, session_payload
from planocore.api.endpoints import CLIENTS_CLOSED
from planocore.api.exceptions import ApiError

PERMISSION_CACHE_SECONDS = 60
APPLICATIONS_CACHE_KEY = "api:applications:v1"
APPLICATIONS_CACHE_SECONDS = 300  # reference data; a save drops the entry (docs/api.md)
# v2: a RoleGrant (roles and permissions) where v1 held a bare permission set.
ROLE_GRANT_KEY = "api:role-perms:v2"


def applications_by_slug() -> dict[str, dict]:
    """Slug → {id, role} of every application, cached (reference data)."""
    apps = cache.get(APPLICATIONS_CACHE_KEY)
    if apps is None:
        apps = {a.slug: {"id": a.pk, "role": a.role} for a in Application.objects.all()}
        cache.set(APPLICATIONS_CACHE_KEY, apps, APPLICATIONS_CACHE_SECONDS)
    return apps


def forget_applications() -> None:
    cache.delete(APPLICATIONS_CACHE_KEY)


def token_permissions(token) -> frozenset[str]:
    key = f"api:token-perms:{token.pk}"
    perms = cache.get(key)
    if perms is None:
        perms = frozenset(
            f"{app_label}.{codename}"
            for app_label, codename in token.permissions.values_list("content_type__app_label", "codename")
        )
        cache.set(key, perms, PERMISSION_CACHE_SECONDS)
    return perms


def forget_token_permissions(token_id: int) -> None:
    cache.delete(f"api:token-perms:{token_id}")


@dataclass(frozen=True)
class RoleGrant:
    """What a user's active roles of the selected types give: their types and permissions."""

    roles: frozenset[str]
    permissions: frozenset[str]

    @property
    def client_only(self) -> bool:
        """Acting through the Client role alone: a customer, scoped to its own records."""
        return self.roles == {Application.Role.CLIENT}


def role_permissions(user, role_types: list[str]) -> RoleGrant | None:
    """The user's active roles of these types and their permissions; None when the user has none."""
    key = f"{ROLE_GRANT_KEY}:{user.pk}:{','.join(sorted(role_types))}"
    grant = cache.get(key)
    if grant is None:
        roles = []
        for role_type in role_types:
            role = ROLE_MODELS[role_type].objects.filter(user=user, active=True).first()
            if role is not None:
                roles.append((role_type, role))
        perms = frozenset(
            f"{app_label}.{codename}"
            for app_label, codename in Permission.objects.filter(
                group__in=[g for _, role in roles for g in role.groups.all()]
            ).values_list("content_type__app_label", "codename")
        )
        grant = RoleGrant(roles=frozenset(t for t, _ in roles), permissions=perms)
        cache.set(key, grant, PERMISSION_CACHE_SECONDS)
    return grant if grant.roles else None


def forget_role_permissions(user_id: int) -> None:
    """Drop the user's cached role permissions (a role or its groups changed)."""
    types = sorted(ROLE_MODELS)
    cache.delete_many(
        [f"{ROLE_GRANT_KEY}:{user_id}:{t}" for t in types] + [f"{ROLE_GRANT_KEY}:{user_id}:{','.join(types)}"]
    )


def requested_application(request) -> str | None:
    value = param_from_request(request, "application")
    if value is not None and not isinstance(value, str):
        raise ApiError(
            statuses.INVALID_PARAM,
            "`application`: give one application slug; see /documentation/list_items/application.",
            param="application",
        )
    return value or None


class HasRoutePermission(BasePermission):
    """Allow the call when the principal holds the permission the route's Endpoint names."""

    def has_permission(self, request, view) -> bool:
        endpoint = getattr(view, "endpoint", None)
        if endpoint is None or not endpoint.auth:
            return True
        principal = request.auth
        if principal is None:
            raise ApiError(
                statuses.MISSING_PARAM,
                "The param `token` is required: pass it as `token` or as `Authorization: Bearer <token>` "
                "(or `Token <token>`).",
                param="token",
            )
        slug = requested_application(request)
        apps = applications_by_slug() if slug is not None or principal.kind == "session" else {}
        if slug is not None and slug not in apps:
            raise ApiError(
                statuses.INVALID_PARAM,
                f"`application`: '{slug}' is not an application; see /documentation/list_items/application.",
                param="application",
            )
        if principal.kind == "application":
            if endpoint.permission is None:
                return True
            perms = token_permissions(principal.application_token)
        elif principal.kind == "session":
            # The request's `application` picks the role; else the one signed in with.
            slug = slug or (principal.session.application.slug if principal.session.application_id else None)
            role_types = [apps[slug]["role"]] if slug in apps else list(ROLE_MODELS)
            grant = role_permissions(principal.user, role_types)
            if grant is None:
                if not endpoint.role_required:
                    return True
                raise ApiError(
                    statuses.CLIENT_REQUIRED,
                    session=session_payload(principal.session),
                )
            perms = grant.permissions
            if grant.client_only:
                principal.client_user_id = principal.user.pk
                if endpoint.clients == CLIENTS_CLOSED:
                    raise ApiError(
                        statuses.PERMISSION_DENIED,
                        "This route is not open to clients (the Client role); "
                        "sign in to an application of another role.",
                    )
        else:
            user = principal.user
            return endpoint.permission is None or user.has_perm(endpoint.permission)
        if endpoint.permission is None or endpoint.permission in perms:
            return True
        raise ApiError(
            statuses.PERMISSION_DENIED,
            f"This token or role lacks the permission `{endpoint.permission}`.",
        )


def client_user_id(request) -> int | None:
    """The id of the user a client-scoped caller is limited to; None for callers with full reach."""
    principal = getattr(request, "auth", None)
    return getattr(principal, "client_user_id", None)


def scoped(queryset, request, *, owner: str):
    """The rows of `queryset` the caller of `request` may see: the one scoping per role.

    `owner` is the lookup from the queryset's model to its owning user's id
    (`"user_id"`, `"canceled_by"`, `"pk"` for users themselves): each feature view
    declares its own, so the platform imports no feature app. A client keeps the
    rows it owns; every other caller keeps them all. Reading a row a client does
    not own is then the same as reading one that does not exist.
    """
    user_id = client_user_id(request)
    if user_id is None:
        return queryset
    return queryset.filter(**{owner: user_id})
