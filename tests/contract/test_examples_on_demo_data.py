"""Issue 26, item 6: every served request example succeeds, as served, on the demo data `make run` loads.

`load_demo_data` runs on a fresh database (sequences reset, as on a first `make run`),
then each route's example from /documentation/ is sent exactly as the page shows it
(JSON body, query string, or base64 body), with only the token replaced by the one the
route needs: the application token the command printed, or a session token for the routes
that take one (`Endpoint.session_token`); signing in uses the demo client's printed
password. The create examples go first, as a reader trying the API does: the detail
examples name the records they make (id 1) and the demo client (user 2).
"""

import importlib
import io
import re

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from planocore.accounts.services import api_session_create
from planocore.routes.docs import route_doc
from planocore.routes.registry import iter_api_routes, sync_routes
from tests.contract.test_examples import send_as_documented

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


def _what_migrate_makes() -> None:
    """The rows `migrate` makes (applications, reasons, routes): a transactional test run
    before this one flushed them."""
    for module in (
        "planocore.migrations.0002_seed_applications",
        "cancelations.migrations.0002_seed_reasons",
    ):
        importlib.import_module(module).seed(django_apps, None)
    sync_routes()


@pytest.fixture
def demo():
    _what_migrate_makes()
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    text = out.getvalue()
    return {
        "token": re.search(r"API token \(application planox2, shown once\): (pca_\S+)", text).group(1),
        "client_password": re.search(r"client@planocore\.local\s+password (\S+)", text).group(1),
    }


def test_every_served_example_succeeds_on_the_demo_data(demo, django_capture_on_commit_callbacks):
    routes = sorted(iter_api_routes(), key=lambda route: route.method != "POST")  # creates first
    admin = get_user_model().objects.get(username="admin")  # no Client record yet: it may register
    failures, sent = [], 0
    for route in routes:
        params = dict(route_doc(route).example)
        if "token" in params:
            if route.endpoint.session_token:
                params["token"] = api_session_create(user=admin)[1]
            else:
                params["token"] = demo["token"]
        if route.endpoint.slug == "sessions-create":
            params.update(email="client@planocore.local", password=demo["client_password"])
        with django_capture_on_commit_callbacks(execute=True):
            code, body = send_as_documented(route, params)
        sent += 1
        if body["status"] != "action-successful":
            failures.append(
                f"{route.method} {route.path} ({route.endpoint.slug}): {body['status']} {body['message']}"
            )
    assert sent >= 20
    assert not failures, "\n".join(failures)


def test_examples_send_each_param_in_its_documented_type():
    from planocore.routes.docs import field_type

    checked = 0
    for route in iter_api_routes():
        for param in route_doc(route).params:
            if param.field is None or not param.in_example:
                continue
            kind = field_type(param.field, documented=False)
            if kind == "integer":
                assert isinstance(param.example, int) and not isinstance(param.example, bool), (
                    route.path,
                    param.name,
                )
                checked += 1
            elif kind == "boolean":
                assert isinstance(param.example, bool), (route.path, param.name)
    assert checked >= 5


def test_the_paging_examples_in_docs_api_work_as_typed_with_curl():
    """curl globs `[...]` in a URL unless given -g: a curl line with a page param has it or encodes them."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    lines = [line for line in text.splitlines() if line.startswith("curl") and "page" in line]
    assert len(lines) >= 2
    for line in lines:
        assert "page[" not in line or re.search(r"curl -g\b|curl -gs\b", line), line
    assert any("page%5B" in line for line in lines)
