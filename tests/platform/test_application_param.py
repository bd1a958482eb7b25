"""The `application` param must be one slug (the fuzz run found a JSON list crashing the check)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", [["planox2"], {"slug": "planox2"}, 7])
def test_application_that_is_not_a_string_is_invalid(api, value):
    code, body = api.post("/api/v1/cancelations", {"application": value, "cancelable_type": "Order"})
    assert (code, body["status"]) == (400, "invalid-param")
    assert list(body["errors"]) == ["application"]


def test_application_slug_still_selects(api):
    code, body = api.get("/api/v1/applications", {"application": "planox2"})
    assert (code, body["status"]) == (200, "action-successful")
