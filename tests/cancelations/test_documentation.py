"""The documentation page of the Cancelations Update API matches the seed: names, order, types, required."""

import html
import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

SEED = Path(settings.BASE_DIR).parent / "shared" / "spec" / "seeds" / "cancelations-update-api.txt"
TYPES = {"string", "integer", "boolean", "datetime"}
# The seed's parameters (name, type, order, required), kept here so the test runs without the seeds folder.
SEED_PARAMS = [
    ("token", "string", 100, True),
    ("application", "string", 200, False),
    ("session_view", "string", 300, False),
    ("id", "integer", 400, True),
    ("cancelable_type", "string", 400, False),
    ("cancelable_id", "integer", 400, False),
    ("key", "string", 400, False),
    ("reason_id", "integer", 500, False),
    ("reason_slug", "string", 600, False),
    ("reason_text", "string", 700, False),
    ("reason_note", "string", 800, False),
    ("canceled_at", "string", 900, False),
    ("canceled_by", "string", 1000, False),
    ("canceled_in", "string", 1100, False),
    ("reinstated_at", "string", 1200, False),
    ("reinstated_by", "string", 1300, False),
    ("reinstated_note", "string", 1400, False),
    ("active", "boolean", 1500, False),
]


def seed_params() -> list[tuple[str, str, int, bool]]:
    """(name, type, order, required) of each parameter, as the seed lists them."""
    lines = [
        line.strip()
        for line in SEED.read_text().split("Parameters", 1)[1].split("Request Body")[0].splitlines()
    ]
    params = []
    for i in range(len(lines) - 2):
        if re.fullmatch(r"[a-z_]+", lines[i]) and lines[i + 1] in TYPES and lines[i + 2].isdigit():
            required = i + 3 < len(lines) and lines[i + 3] == "required"
            params.append((lines[i], lines[i + 1], int(lines[i + 2]), required))
    return params


def page_params(content: str) -> list[tuple[str, str, int, bool, str]]:
    rows = re.findall(r'<tr id="param-([a-z_]+)">(.*?)</tr>', content, re.S)
    params = []
    for name, row in rows:
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        type_, order = cells[1].strip(), int(cells[2].strip())
        required = "required" in cells[3]
        params.append((name, type_, order, required, html.unescape(row)))
    return params


@pytest.mark.skipif(not SEED.exists(), reason="the seeds are not next to the checkout")
def test_the_kept_copy_matches_the_seed():
    assert seed_params() == SEED_PARAMS


def test_update_route_page_lists_the_seed_params_in_order(client):
    expected = SEED_PARAMS

    response = client.get("/documentation/cancelations-update")
    assert response.status_code == 200
    content = response.content.decode()
    assert "PATCH" in content and "/api/v1/cancelations/" in content
    shown = page_params(content)
    assert [(name, type_, order, required) for name, type_, order, required, _ in shown] == expected

    application_row = next(row for name, *_, row in shown if name == "application")
    for slug in ("planoauth", "planoorder", "planox2"):
        assert f"<code>{slug}</code>" in application_row
    assert "/documentation/list_items/application" in application_row
    # Every parameter has a description.
    for name, *_, row in shown:
        description = re.sub(r"<[^>]+>", "", re.findall(r"<td>(.*?)</td>", row, re.S)[4]).strip()
        assert description, f"{name} has no description"


def test_reason_list_item_lists_active_reasons(client, reason):
    from cancelations.models import CancelationReason

    CancelationReason.objects.create(slug="test-retired", text="Retired", active=False)
    response = client.get("/documentation/list_items/cancelation_reason")
    assert response.status_code == 200
    content = response.content.decode()
    assert reason.slug in content and f"reason_id {reason.pk}" in content
    assert "test-retired" not in content


def test_other_cancelation_routes_are_documented(client):
    for slug in (
        "cancelations-create",
        "cancelations-list",
        "cancelations-read",
        "cancelations-reasons-list",
    ):
        assert client.get(f"/documentation/{slug}").status_code == 200, slug
