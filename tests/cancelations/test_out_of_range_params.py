"""Params the fuzz run (tests/fuzz) found crashing: numbers past a bigint, non-ASCII digits."""

import pytest

from cancelations.models import Cancelation

pytestmark = pytest.mark.django_db

URL = "/api/v1/cancelations"
PAST_BIGINT = 2**63


def test_create_with_a_cancelable_id_past_a_bigint_is_invalid(api, reason):
    code, body = api.post(
        URL, {"cancelable_type": "Order", "cancelable_id": PAST_BIGINT, "reason_slug": reason.slug}
    )
    assert (code, body["status"]) == (400, "invalid-param")
    assert list(body["errors"]) == ["cancelable_id"]
    assert not Cancelation.objects.exists()


def test_update_with_a_cancelable_id_past_a_bigint_is_invalid(api, make_cancelation):
    cancelation = make_cancelation()
    code, body = api.patch(f"{URL}/{cancelation.pk}", {"cancelable_id": PAST_BIGINT})
    assert (code, body["status"]) == (400, "invalid-param")
    assert list(body["errors"]) == ["cancelable_id"]
    cancelation.refresh_from_db()
    assert cancelation.cancelable_id == 1001


@pytest.mark.parametrize("value", ["²", "٣", str(PAST_BIGINT)])
def test_reason_filter_that_is_no_id_matches_no_slug(api, make_cancelation, value):
    make_cancelation()
    code, body = api.get(URL, {"reason": value})
    assert (code, body["status"]) == (200, "action-successful")
    assert body["data"] == []


def test_reason_filter_by_id_still_works(api, make_cancelation, reason):
    cancelation = make_cancelation()
    code, body = api.get(URL, {"reason": str(reason.pk)})
    assert code == 200
    assert [c["id"] for c in body["data"]] == [cancelation.pk]
