from django.apps import AppConfig


class GlipConfig(AppConfig):
    name = "glip"
    verbose_name = "Glip"
    api_models = True  # its models' permissions are the API's (planocore.accounts.services)

    def ready(self) -> None:
        from glip import receivers
        from glip.selectors import glip_team_list_item_values
        from planocore.routes.list_items import register_list_item

        receivers.connect()
        register_list_item(
            "glip_team",
            "Glip teams",
            glip_team_list_item_values,
            description="Active Glip teams: pass one's name as `team_name`. Staff import them with "
            "`manage.py import_default_extensions_glip_teams` (also run daily).",
        )
