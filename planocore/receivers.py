"""Signal receivers of the platform app: keep caches of the request path fresh."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from planocore.accounts.models import ROLE_MODELS, Application, ApplicationToken
from planocore.routes.models import ApiService, Route


def sync_routes_after_migrate(sender, **kwargs) -> None:
    if sender.label != "planocore":
        return
    from planocore.routes.registry import sync_routes

    sync_routes()


def _forget_route_state(sender, **kwargs) -> None:
    from django.db import transaction

    from planocore.routes.registry import forget_state

    # Now and again after the commit: a request between the two could cache the old state.
    forget_state()
    transaction.on_commit(forget_state)


def _forget_applications(sender, **kwargs) -> None:
    from planocore.api.permissions import forget_applications

    forget_applications()


def _forget_token_permissions(sender, instance, **kwargs) -> None:
    from planocore.api.permissions import forget_token_permissions

    forget_token_permissions(instance.pk)


def _forget_role_permissions(sender, instance, **kwargs) -> None:
    from django.db import transaction

    from planocore.api.permissions import forget_role_permissions

    # Now and again after the commit: a request between the two could cache the old
    # permissions (or "no role") for a minute.
    user_id = instance.user_id
    forget_role_permissions(user_id)
    transaction.on_commit(lambda: forget_role_permissions(user_id))


def connect() -> None:
    from django.core.signals import request_finished

    from planocore.api.middleware import forget_request_id

    request_finished.connect(forget_request_id, dispatch_uid="planocore.forget_request_id")
    # A role, or the groups it holds, changed: its user's permissions are read again.
    # (A change to a group's own permissions reaches users within the 60-second cache.)
    for model in ROLE_MODELS.values():
        name = model.__name__
        post_save.connect(_forget_role_permissions, sender=model, dispatch_uid=f"forget-role-{name}")
        post_delete.connect(_forget_role_permissions, sender=model, dispatch_uid=f"forget-role-d-{name}")
        m2m_changed.connect(
            _forget_role_permissions, sender=model.groups.through, dispatch_uid=f"forget-role-g-{name}"
        )
    for model in (ApiService, Route):
        post_save.connect(_forget_route_state, sender=model, dispatch_uid=f"forget-state-{model.__name__}")
        post_delete.connect(
            _forget_route_state, sender=model, dispatch_uid=f"forget-state-d-{model.__name__}"
        )
    post_save.connect(_forget_applications, sender=Application, dispatch_uid="forget-applications")
    post_delete.connect(_forget_applications, sender=Application, dispatch_uid="forget-applications-d")
    m2m_changed.connect(
        _forget_token_permissions,
        sender=ApplicationToken.permissions.through,
        dispatch_uid="forget-token-permissions",
    )
