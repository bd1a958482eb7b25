"""The platform stands apart from the feature apps: they depend on it, never the reverse."""

import ast
from pathlib import Path

import pytest

import planocore
from planocore.accounts.services import api_app_labels, api_permissions

FEATURE_APPS = {"glip", "notifications", "cancelations", "messaging", "inbound"}


def _imported_modules(tree: ast.AST):
    for node in ast.walk(tree):  # every import, function-level ones included
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_no_platform_module_imports_a_feature_app():
    root = Path(planocore.__file__).parent
    found = [
        f"{path.relative_to(root.parent)} imports {module}"
        for path in sorted(root.rglob("*.py"))
        for module in _imported_modules(ast.parse(path.read_text(), filename=str(path)))
        if module.split(".")[0] in FEATURE_APPS
    ]
    assert found == []


@pytest.mark.django_db
def test_the_api_serves_the_apps_that_say_so():
    expected = {"planocore", "outbox", "ringcentral", *FEATURE_APPS}
    assert set(api_app_labels()) == expected
    labels = set(api_permissions().values_list("content_type__app_label", flat=True))
    assert labels == expected
