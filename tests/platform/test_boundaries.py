"""The platform stands apart from the feature apps: they depend on it, never the reverse."""

import ast
import re
from pathlib import Path

import pytest

import planocore
from planocore.accounts.services import api_app_labels, api_permissions, client_group_permissions
from planocore.outbox.models import Channel

FEATURE_APPS = {"glip", "notifications", "cancelations", "messaging"}
ROOT = Path(planocore.__file__).parent
# The project's wiring, which must name every app: INSTALLED_APPS and the beat
# schedule (settings), the URL conf. The platform app is everything else.
WIRING = {ROOT / "settings.py", ROOT / "urls.py"}


def _imported_modules(tree: ast.AST):
    for node in ast.walk(tree):  # every import, function-level ones included
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_no_platform_module_imports_a_feature_app():
    found = [
        f"{path.relative_to(ROOT.parent)} imports {module}"
        for path in sorted(ROOT.rglob("*.py"))
        for module in _imported_modules(ast.parse(path.read_text(), filename=str(path)))
        if module.split(".")[0] in FEATURE_APPS
    ]
    assert found == []


def _feature_commands() -> set[str]:
    """The management commands and Celery tasks of the feature apps, by name."""
    names = set()
    for app in FEATURE_APPS:
        folder = ROOT.parent / app
        names |= {p.stem for p in (folder / "management" / "commands").glob("*.py") if p.stem != "__init__"}
        tasks = folder / "tasks.py"
        if tasks.exists():
            names |= {n.name for n in ast.parse(tasks.read_text()).body if isinstance(n, ast.FunctionDef)}
    return names


def _strings(tree: ast.AST):
    """(line, text) of every string constant that is no docstring."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def feature_names_in(text: str, commands: set[str]) -> list[str]:
    """What in a string names a feature app: a dotted reference (`glip.tasks.x`,
    `notifications.add_notification`), a word of an identifier-like string
    (`sandbox-cancelations`), or one of their commands or tasks.

    Prose (a string with spaces) is read only for references and commands; a URL
    path is the provider's wire or a route, never an app; an outbox channel's name
    (`glip`) is the platform's own word.
    """
    found = re.findall(rf"\b(?:{'|'.join(FEATURE_APPS)})\.[a-z_]\w*", text)
    found += [name for name in commands if re.search(rf"\b{name}\b", text)]
    if text.strip() and not re.search(r"\s", text) and not text.startswith("/"):
        words = set(re.split(r"[^a-z0-9]+", text.lower()))
        found += sorted(words & (FEATURE_APPS - set(Channel.values)))
    return found


def test_the_boundary_check_sees_names_in_strings():
    commands = _feature_commands()
    assert "import_default_extensions_glip_teams" in commands
    assert feature_names_in("notifications.view_notification", commands)
    assert feature_names_in("glip.tasks.import_default_extensions_glip_teams", commands)
    assert feature_names_in("sandbox-cancelations", commands)
    assert feature_names_in("messaging", commands)
    assert not feature_names_in("glip", commands)  # the outbox channel
    assert not feature_names_in("/team-messaging/v1/teams", commands)
    assert not feature_names_in("Read notifications, cancelations and messaging clients.", commands)


def test_no_platform_module_names_a_feature_app_in_a_string():
    commands = _feature_commands()
    found = [
        f"{path.relative_to(ROOT.parent)}:{line}: {names}"
        for path in sorted(ROOT.rglob("*.py"))
        if path not in WIRING and "migrations" not in path.parts
        for line, text in _strings(ast.parse(path.read_text(), filename=str(path)))
        if (names := feature_names_in(text, commands))
    ]
    assert found == []


@pytest.mark.django_db
def test_the_api_serves_the_apps_that_say_so():
    expected = {"planocore", "outbox", "ringcentral", *FEATURE_APPS}
    assert set(api_app_labels()) == expected
    labels = set(api_permissions().values_list("content_type__app_label", flat=True))
    assert labels == expected


def test_the_client_group_holds_what_the_apps_declare():
    assert set(client_group_permissions()) == {
        "planocore.view_application",
        "notifications.view_notification",
        "notifications.add_notification",
        "cancelations.view_cancelation",
        "cancelations.view_cancelationreason",
        "messaging.view_messagingclient",
        "messaging.add_messagingclient",
        "messaging.delete_messagingclient",
    }
