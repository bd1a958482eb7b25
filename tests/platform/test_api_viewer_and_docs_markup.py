"""Issue 26, item 9: the API viewer offers the token; /documentation/ renders its own markup."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_offers_the_token_alone(client):
    schema = json.loads(client.get("/api/schema?format=json").content)
    assert list(schema["components"]["securitySchemes"]) == ["token"]
    assert schema["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    secured = [
        operation["security"]
        for item in schema["paths"].values()
        for operation in item.values()
        if operation.get("security")
    ]
    assert secured and all(security == [{"token": []}] for security in secured)


def test_the_viewer_is_served_with_the_schema(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"/api/schema" in response.content


def test_a_token_pasted_into_the_viewer_is_sent_as_a_bearer_token(client, app_token):
    """What the viewer sends for the `token` scheme: `Authorization: Bearer <token>`."""
    response = client.get("/api/v1/sessions/current", HTTP_AUTHORIZATION=f"Bearer {app_token}")
    assert json.loads(response.content)["status"] == "action-successful"


@pytest.mark.parametrize(
    "path", ["/documentation/", "/documentation/notifications-list", "/documentation/cancelations-update"]
)
def test_documentation_pages_show_backticks_as_code(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    text_outside_pre = re.sub(r"<pre>.*?</pre>", "", html, flags=re.S)
    assert "`" not in text_outside_pre
    assert "<code>" in html


def test_the_markup_escapes_everything_else():
    from planocore.templatetags.planocore_docs import inline_code

    assert (
        inline_code("Use `page[after]` <b>now</b>") == "Use <code>page[after]</code> &lt;b&gt;now&lt;/b&gt;"
    )
    assert inline_code("`<script>`") == "<code>&lt;script&gt;</code>"
    assert inline_code(None) == ""
