from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate


def _applications():
    from planocore.accounts.models import Application

    return [
        (a.slug, f"{a.name} (acts through the {a.get_role_display()} role)")
        for a in Application.objects.all()
    ]


class PlanocoreConfig(AppConfig):
    name = "planocore"
    label = "planocore"
    verbose_name = "Platform"
    api_models = True  # its models' permissions are the API's (planocore.accounts.services)
    client_permissions = ("planocore.view_application",)  # planocore.declarations

    def ready(self) -> None:
        from planocore import receivers
        from planocore.routes.list_items import register_list_item

        post_migrate.connect(receivers.sync_routes_after_migrate, dispatch_uid="planocore.sync_routes")
        receivers.connect()
        register_list_item(
            "application",
            "Applications",
            _applications,
            "The applications that call the API. The `application` param picks the role whose "
            "permissions apply to a user's session.",
        )


class PlanocoreAdminConfig(AdminConfig):
    """Django's admin with PlanoCore's site (name, dashboard) as `admin.site`."""

    default_site = "planocore.admin_site.PlanoCoreAdminSite"
