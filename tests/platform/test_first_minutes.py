"""The first minutes on a fresh clone: the landing page, the schema in a browser, the browsable API,
what `load_demo_data` says, and no broker warning without a broker."""

import io
import json
import logging
import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_the_landing_page_links_everything_and_view_site_goes_there(client, staff_user):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200 and "<title>PlanoCore</title>" in html
    for href in ("/admin/", "/documentation/", "/api/docs", "/healthz", "/api/schema?format=json"):
        assert f'href="{href}"' in html, href
    assert "sandbox" in html  # the test settings have no provider credentials
    client.force_login(staff_user)
    # "View site" (in unfold's account menu) goes to the landing page.
    admin = client.get("/admin/").content.decode()
    assert re.search(r'<a href="/"[^>]*>\s*View site\s*</a>', admin)


def test_the_schema_opens_as_text_and_as_json(client):
    response = client.get("/api/schema", HTTP_ACCEPT=BROWSER)
    assert response["Content-Type"].startswith("text/plain")
    assert yaml.safe_load(response.content)["info"]["title"] == "PlanoCore API"
    response = client.get("/api/schema", {"format": "json"}, HTTP_ACCEPT=BROWSER)
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["openapi"].startswith("3.")
    response = client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")


def test_the_browsable_api_shows_the_envelope_and_a_sign_in_link(client):
    response = client.get("/api/v1/sessions/current", HTTP_ACCEPT=BROWSER)
    html = response.content.decode()
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert "&quot;status&quot;: &quot;missing-param&quot;" in html
    assert 'href="/admin/login/?next=/api/v1/sessions/current">Sign in at /admin/</a>' in html


def test_an_admin_session_describes_itself(client, staff_user):
    client.force_login(staff_user)
    response = client.get("/api/v1/sessions/current", HTTP_ACCEPT="application/json")
    body = response.json()
    assert (response.status_code, body["status"]) == (200, "action-successful"), body
    assert body["data"]["type"] == "admin"
    assert body["data"]["user"] == {"id": staff_user.pk, "username": "staff", "email": "staff@example.com"}
    html = client.get("/api/v1/sessions/current", HTTP_ACCEPT=BROWSER).content.decode()
    assert "Admin (staff)</a>" in html and "Sign in at /admin/" not in html


def test_load_demo_data_says_what_each_login_can_do(fresh_clone):
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    printed = out.getvalue()
    assert "Start at http://127.0.0.1:8000/" in printed
    assert "A superuser: everything in http://127.0.0.1:8000/admin/" in printed
    assert "An API user (not staff: no admin)" in printed
    assert "every API route (send Glip messages, notifications," in printed
    assert "Sandbox Glip teams (no RingCentral credentials): created 4," in printed


def test_no_broker_warning_without_a_broker(fresh_clone, caplog):
    from glip.tasks import import_default_extensions_glip_teams

    assert not fresh_clone.CELERY_BROKER_URL
    with caplog.at_level(logging.WARNING, logger="kombu"):
        result = import_default_extensions_glip_teams.delay()
    assert result.result["created"] == 4
    assert "No hostname was supplied" not in caplog.text
