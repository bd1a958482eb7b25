"""Permission checks: a route's permission against the token or the selected role.

Application tokens carry their own permissions. A user's session acts through a
role (Client, Employee, Liaison); the `application` param picks the role (each
Application names one), and that role's groups give the permissions. Permission
sets are cached for a minute so the request path costs no extra query.
"""

from django.contrib.auth.models import Permission
from django.core.cache import cache
from rest_framework.permissions import BasePermission

from planocore.accounts.models import ROLE_MODELS, Application
from planocore.api import statuses
from planocore.api.authentication import param_from_request, session_payload
from planocore.api.exceptions import ApiError

PERMISSION_CACHE_SECONDS = 60
APPLICATIONS_CACHE_KEY = "api:applications:v1"


def applications_by_slug() -> dict[str, dict]:
    """Slug → {id, role} of every application, cached (reference data)."""
    apps = cache.get(APPLICATIONS_CACHE_KEY)
    if apps is None:
        apps = {a.slug: {"id": a.pk, "role": a.role} for a in Application.objects.all()}
        cache.set(APPLICATIONS_CACHE_KEY, apps, 300)
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


def role_permissions(user, role_types: list[str]) -> frozenset[str] | None:
    """Permissions of the user's active roles of these types; None when the user has none."""
    key = f"api:role-perms:{user.pk}:{','.join(sorted(role_types))}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    roles = []
    for role_type in role_types:
        role = ROLE_MODELS[role_type].objects.filter(user=user, active=True).first()
        if role is not None:
            roles.append(role)
    if not roles:
        cache.set(key, frozenset(), PERMISSION_CACHE_SECONDS)
        return None
    perms = frozenset(
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.filter(
            group__in=[g for role in roles for g in role.groups.all()]
        ).values_list("content_type__app_label", "codename")
    )
    # An empty permission set is still a role: store a marker that is not falsy-empty.
    cache.set(key, perms or frozenset({"__role__"}), PERMISSION_CACHE_SECONDS)
    return perms


def forget_role_permissions(user_id: int) -> None:
    """Drop the user's cached role permissions (a role or its groups changed)."""
    types = sorted(ROLE_MODELS)
    cache.delete_many(
        [f"api:role-perms:{user_id}:{t}" for t in types] + [f"api:role-perms:{user_id}:{','.join(types)}"]
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
            perms = role_permissions(principal.user, role_types)
            if perms is None:
                if not endpoint.role_required:
                    return True
                raise ApiError(
                    statuses.CLIENT_REQUIRED,
                    session=session_payload(principal.session),
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
