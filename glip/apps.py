from django.apps import AppConfig


class GlipConfig(AppConfig):
    name = "glip"
    verbose_name = "Glip"
    api_models = True  # its models' permissions are the API's (planocore.accounts.services)

    def demo_data(self, stdout, *, base: str) -> None:
        """For `manage.py load_demo_data`: with no RingCentral credentials, import the sandbox's teams."""
        import io

        from django.conf import settings
        from django.core.management import call_command

        if not settings.PROVIDER_BACKENDS.get("glip_teams", "").startswith("planocore.providers.sandbox."):
            return
        out = io.StringIO()
        call_command("import_default_extensions_glip_teams", stdout=out)
        stdout.write(
            f"\n  Sandbox Glip teams (no RingCentral credentials): {out.getvalue().strip()} Post to one:\n"
            "    curl -H 'Authorization: Bearer <token>' -H 'Content-Type: application/json' "
            '-d \'{"team_name":"General","message":"Hello"}\' ' + base + "/api/v1/glip/messages\n"
        )

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
