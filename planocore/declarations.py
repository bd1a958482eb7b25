"""What the platform needs from each app, read from the app's own AppConfig.

The platform names no feature app, in an import or in a string
(tests/platform/test_boundaries.py): each app says what it brings on its AppConfig,
and the platform reads it here.

- `api_models = True`: its models' permissions are the API's
  (`planocore.accounts.services.api_app_labels`).
- `client_permissions = ("app_label.codename", ...)`: what the Client role's group holds
  of its models (`planocore.accounts.services.client_group_permissions`).
- `sandbox_glip_teams()`: (chat id, name, description) of teams the sandbox's Glip team
  list shows first (`planocore.providers.sandbox.sandbox_teams`).
- `demo_data(stdout, base=)`: what `manage.py load_demo_data` adds for the app, and
  prints (`base`: the URL the app is served on, for the links).
"""

from typing import Any

from django.apps import AppConfig, apps


def declared(name: str) -> list[tuple[AppConfig, Any]]:
    """(app config, value) of every installed app that declares `name`, in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        value = getattr(config, name, None)
        if value:
            found.append((config, value))
    return found
