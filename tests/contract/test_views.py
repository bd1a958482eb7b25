"""Issue 18, item 6: what docs/notifications.md says each view returns is what it returns,
and the values the server replaces are documented as replaced."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

DOC = Path(settings.BASE_DIR) / "docs" / "notifications.md"
URL = "/api/v1/notifications"
EMAIL = {
    "notification_type": "email",
    "email_from": "ops@planomatic.example",
    "email_to": "ann@example.com",
    "email_subject": "Your tour is ready",
}


def documented_views() -> dict[str, tuple[list[str], list[str]]]:
    """view → (its fields, the fields of a proof entry) as the Views section lists them."""
    section = DOC.read_text().split("### Views", 1)[1].split("\n### ", 1)[0]
    bullets = re.findall(r"^- `([a-z-]+)`: (.*?)(?=^- |\n\n|\Z)", section, re.S | re.M)
    views: dict[str, tuple[list[str], list[str]]] = {}
    for name, text in bullets:
        if text.startswith("the fields of `default-view`"):
            entry = text.split("with", 1)[1]
            views[name] = ([*views["default-view"][0], "proof"], re.findall(r"`([a-z_]+)`", entry))
        else:
            views[name] = (re.findall(r"`([a-z_]+)`", text), [])
    return views


@pytest.fixture
def sent(api, django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        code, body = api.post(URL, {**EMAIL, "status": "draft", "processed": 0, "updated_in": "planox2"})
    assert code == 200, body
    return body["data"]["id"]


def test_the_doc_lists_the_three_views():
    views = documented_views()
    assert set(views) == {"default-view", "default-with-proof", "internal-applications-view"}
    assert "updated_in" in views["default-view"][0]
    assert views["default-with-proof"][1][:3] == ["id", "channel", "action"]


@pytest.mark.parametrize("view", ["default-view", "default-with-proof", "internal-applications-view"])
def test_each_view_returns_exactly_its_documented_fields_in_order(api, sent, view):
    fields, proof_fields = documented_views()[view]
    for code, body in (
        api.get(f"{URL}/{sent}", {"view": view}),
        api.get(URL, {"view": view}),
    ):
        assert code == 200, body
        data = body["data"][0] if isinstance(body["data"], list) else body["data"]
        assert list(data) == fields
        if proof_fields:
            assert data["proof"] and all(list(entry) == proof_fields for entry in data["proof"])


def test_the_create_answer_is_the_view_asked_for(api, django_capture_on_commit_callbacks):
    views = documented_views()
    for view in views:
        with django_capture_on_commit_callbacks(execute=True):
            code, body = api.post(URL, {**EMAIL, "view": view})
        assert (code, list(body["data"])) == (200, views[view][0])


def test_values_the_server_replaced_are_documented_as_replaced(api, sent):
    code, body = api.get(f"{URL}/{sent}")
    data = body["data"]
    # Sent as "draft", 0 and no time: the server replaced them once the provider took it.
    assert (data["status"], data["processed"]) == ("sent", 1)
    assert data["processed_at"] is not None
    assert data["updated_in"] == "planox2"

    html = Client().get("/documentation/notifications-create").content.decode()
    for name in ("status", "processed", "processed_at"):
        row = re.search(rf'<tr id="param-{name}">(.*?)</tr>', html, re.S).group(1)
        assert "replaced" in row.lower(), name
    doc = DOC.read_text()
    assert "Values the server replaces" in doc


def test_a_stored_notification_keeps_the_values_given(api):
    code, body = api.post(
        URL, {"key": "k", "status": "draft", "processed": 1, "processed_at": "2026-01-31T14:30:00Z"}
    )
    assert code == 200, body
    assert (body["data"]["status"], body["data"]["processed"]) == ("draft", 1)
    assert body["data"]["processed_at"].startswith("2026-01-31T14:30:00")
