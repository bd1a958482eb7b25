"""CR and LF are refused in every field that becomes an email header (issue 25.9).

`email_subject` "Hi\\r\\nBcc: …" reached Mandrill as given, and an `email_to` with
CRLF became a second recipient. Every header field (subject, from, to, cc, bcc and
the display names inside them) now answers invalid-param naming it, through the API
and through the service other callers (admin, shell) use.
"""

import pytest
from django.core.exceptions import ValidationError

from notifications.models import Notification
from notifications.services import notification_create
from planocore.outbox.models import ExternalRequest

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications"
EMAIL = {"notification_type": "email", "email_to": "ann@example.com", "email_subject": "Hi"}
BREAKS = ["\r\n", "\n", "\r", "\u2028"]
HEADER_VALUES = {
    "email_subject": "Hi{br}Bcc: victim@example.com",
    "email_from": "Ops{br}Bcc: victim@example.com <ops@example.com>",
    "email_to": "ann@example.com{br}Bcc: victim@example.com",
    "email_cc": "Ann{br}Bcc: x <ann@example.com>",
    "email_bcc": "ann@example.com,{br}victim@example.com",
}


@pytest.mark.parametrize("field", sorted(HEADER_VALUES))
@pytest.mark.parametrize("br", BREAKS, ids=["crlf", "lf", "cr", "u2028"])
def test_a_line_break_in_a_header_field_is_invalid_param(api, mailoutbox, field, br):
    code, body = api.post(URL, {**EMAIL, field: HEADER_VALUES[field].format(br=br)})
    assert (code, body["status"]) == (400, "invalid-param"), body
    assert list(body["errors"]) == [field] and "line break" in body["message"]
    assert not Notification.objects.exists() and not ExternalRequest.objects.exists() and not mailoutbox


def test_the_service_refuses_them_too():
    with pytest.raises(ValidationError) as caught:
        notification_create(data={**EMAIL, "email_subject": "Hi\r\nBcc: victim@example.com"}, principal=None)
    assert "email_subject" in caught.value.message_dict
    assert not Notification.objects.exists()


def test_a_body_keeps_its_line_breaks(api):
    code, body = api.post(URL, {**EMAIL, "email_body": "Line one\r\nLine two\n"})
    assert code == 200, body
    assert Notification.objects.get().email_body == "Line one\r\nLine two\n"
