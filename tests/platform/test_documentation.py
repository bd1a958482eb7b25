"""The generated documentation, the list items and the OpenAPI schema."""

import json
import re

import pytest
from django.test import Client

from planocore.api import statuses
from planocore.routes.docs import route_doc
from planocore.routes.list_items import LIST_ITEMS
from planocore.routes.registry import iter_api_routes


def test_every_route_has_a_purpose_and_every_param_a_description(db):
    routes = list(iter_api_routes())
    assert {"sessions-create", "sessions-current", "sessions-current-delete", "applications-list"} <= {
        r.endpoint.slug for r in routes
    }
    missing = []
    for route in routes:
        if not route.endpoint.purpose.strip():
            missing.append(f"{route.endpoint.slug}: no purpose")
        for param in route_doc(route).params:
            if not param.description.strip():
                missing.append(f"{route.endpoint.slug}: param `{param.name}` has no description")
    assert not missing, "\n".join(missing)


def test_route_slugs_are_unique():
    slugs = [r.endpoint.slug for r in iter_api_routes()]
    assert len(slugs) == len(set(slugs))


@pytest.fixture
def web(db):
    return Client()


def test_index_lists_services_routes_lists_and_statuses(web):
    html = web.get("/documentation/").content.decode()
    for route in iter_api_routes():
        assert f'href="/documentation/{route.endpoint.slug}"' in html
        assert route.path in html
    assert "Sessions" in html and 'href="/documentation/list_items/application"' in html
    for status in [*statuses.COMMON, *statuses.UNCOMMON]:
        assert status.slug in html
    assert "cdn" not in html.lower() and "<script" not in html
    assert web.get("/documentation").status_code == 301


def test_route_page_shows_the_seed_layout(web):
    response = web.get("/documentation/sessions-create")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<code>/api/v1/sessions</code>" in html and ">POST<" in html
    assert "Sign a user in with email and password" in html
    # Parameters in order, with type, order number, required flag and description.
    rows = re.findall(
        r'<tr id="param-(\w+)">\s*<td><code>\w+</code></td>\s*'
        r"<td>(\w+)</td>\s*<td>(\d*)</td>\s*<td>(.*?)</td>",
        html,
        re.S,
    )
    assert [(name, kind, order, "required" in req) for name, kind, order, req in rows] == [
        ("email", "string", "1", True),
        ("password", "string", "2", True),
        ("remember_me", "boolean", "3", False),
        ("application", "string", "4", False),
        ("session_view", "string", "5", False),
    ]
    assert 'href="/documentation/list_items/application"' in html
    assert "base64" in html and "Request Body Example" in html
    responses, uncommon = html.split("Uncommon Responses")
    # Issue 18: a page lists exactly the statuses its route can answer. Signing in takes
    # no token (no invalid-token, client-required, permission-denied) and sends no email.
    assert re.findall(r"<code>([a-z-]+)</code> (\d+)</dt>", responses) == [
        ("action-successful", "200"),
        ("missing-param", "400"),
        ("invalid-param", "400"),
        ("application-crash", "500"),
    ]
    assert re.findall(r"<code>([a-z-]+)</code> (\d+) <span", uncommon) == [
        ("no-params-decoded", "400"),
        ("invalid-encoded-params", "400"),
        ("route-not-found", "404"),
        ("identify-request-error", "500"),
        ("service-not-found", "404"),
        ("method-not-allowed", "405"),
        ("too-many-requests", "429"),
        ("request-too-large", "413"),
        ("database-unavailable", "503"),
    ]
    assert "provider-failed" not in html  # only on the routes that declare it


def test_authenticated_route_documents_the_token_first(web):
    html = web.get("/documentation/sessions-current").content.decode()
    names = re.findall(r'<tr id="param-(\w+)">', html)
    assert names == ["token", "session_view"]
    assert "Authentication token for either an application or session." in html
    assert "?token=" in html  # a GET shows its query string example


def test_route_docs_of_choices_and_examples(settings):
    from planocore.routes.registry import ApiRoute
    from tests.platform.urls import ProbeView

    route = ApiRoute("probe", "Probe", "POST", "/api/v1/probe", ProbeView.endpoints["POST"], ProbeView)
    doc = route_doc(route)
    colour = next(p for p in doc.params if p.name == "colour")
    assert colour.choices == [("red", "red"), ("blue", "blue")]
    assert json.loads(doc.example_json) == {"name": "name value", "count": 1, "colour": "red"}
    assert [p.name for p in doc.params] == ["name", "count", "colour"]  # no token: auth=False


def test_unknown_pages_are_404(web):
    assert web.get("/documentation/no-such-route").status_code == 404
    assert web.get("/documentation/list_items/no-such-list").status_code == 404


def test_application_list_item(web):
    assert "application" in LIST_ITEMS
    html = web.get("/documentation/list_items/application").content.decode()
    for slug in ("planoauth", "planoorder", "planox2"):
        assert f"<code>{slug}</code>" in html
    assert "Employee role" in html


def test_openapi_schema_lists_every_route(web):
    response = web.get("/api/schema?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for route in iter_api_routes():
        assert route.path in paths, f"{route.path} missing from the schema"
        operation = paths[route.path][route.method.lower()]
        assert operation["summary"] == route.endpoint.title
        assert "Envelope" in json.dumps(operation["responses"]["200"])
    sign_in = paths["/api/v1/sessions"]["post"]
    assert sign_in["requestBody"]["content"]["text/plain"]["schema"]["format"] == "byte"
    assert sign_in.get("security", []) == []
    current = paths["/api/v1/sessions/current"]["get"]
    assert [p["name"] for p in current["parameters"]] == ["session_view"]
    assert {"401", "404", "405", "429", "500"} <= set(current["responses"])
    assert schema["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_interactive_docs_work_offline(web):
    response = web.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_every_route_page_renders(web):
    for route in iter_api_routes():
        response = web.get(f"/documentation/{route.endpoint.slug}")
        assert response.status_code == 200, route.endpoint.slug
        html = response.content.decode()
        assert route.endpoint.title in html.replace("&#x27;", "'") and route.path in html
