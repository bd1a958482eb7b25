"""Signal receivers of the platform app: keep caches of the request path fresh."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from planocore.accounts.models import Application, ApplicationToken
from planocore.routes.models import ApiService, Route


def sync_routes_after_migrate(sender, **kwargs) -> None:
    if sender.label != "planocore":
        return
    from planocore.routes.registry import sync_routes

    sync_routes()


def _forget_route_state(sender, **kwargs) -> None:
    from planocore.routes.registry import forget_state

    forget_state()


def _forget_applications(sender, **kwargs) -> None:
    from planocore.api.permissions import forget_applications

    forget_applications()


def _forget_token_permissions(sender, instance, **kwargs) -> None:
    from planocore.api.permissions import forget_token_permissions

    forget_token_permissions(instance.pk)


def connect() -> None:
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
