"""Bodies are bounded before they are read (issue 25.2).

A declared length over the route's limit is refused at once with 413
`request-too-large`; a chunked body is read up to the limit and no further; file
parts are refused (no route takes files); a method the route does not take is
refused before its body is read; a token in the header is checked before the body.
"""

import io
import json

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from notifications.models import Notification
from planocore.api import statuses

pytestmark = pytest.mark.django_db

NOTIFICATIONS = "/api/v1/notifications"
GIGABYTE = 1024**3


class Endless(io.RawIOBase):
    """A request body that never ends; counts what was read from it."""

    def __init__(self):
        self.bytes_read = 0

    def readable(self):
        return True

    def read(self, size=-1):
        size = 65536 if size is None or size < 0 else size
        self.bytes_read += size
        return b"x" * size

    def readline(self, size=-1):
        return self.read(size)


def send(method, path, *, body: io.RawIOBase, content_type="application/json", length=None, **headers):
    """Send `body` as the request's stream, with `length` as its declared Content-Length (None: chunked)."""
    environ = {"wsgi.input": body, "CONTENT_TYPE": content_type, **headers}
    if length is None:
        environ["CONTENT_LENGTH"] = ""
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(length)
    return Client().generic(method, path, **environ)


def envelope(response) -> dict:
    return json.loads(response.content)


def test_a_declared_gigabyte_without_a_token_is_refused_unread(settings):
    body = Endless()
    response = send(
        "POST", NOTIFICATIONS, body=body, length=GIGABYTE, content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 413
    payload = envelope(response)
    assert payload["status"] == statuses.REQUEST_TOO_LARGE.slug
    assert str(settings.API_MAX_BODY_BYTES) in payload["message"]
    assert body.bytes_read == 0


def test_a_declared_gigabyte_with_a_good_token_is_refused_unread(app_token):
    body = Endless()
    response = send(
        "POST", NOTIFICATIONS, body=body, length=GIGABYTE, HTTP_AUTHORIZATION=f"Bearer {app_token}"
    )
    assert (response.status_code, envelope(response)["status"]) == (413, "request-too-large")
    assert body.bytes_read == 0 and not Notification.objects.exists()


def test_a_method_the_route_does_not_take_is_refused_before_its_body_is_read():
    body = Endless()
    response = send("POST", "/api/v1/glip/teams", body=body, length=1000)
    assert (response.status_code, envelope(response)["status"]) == (405, "method-not-allowed")
    assert body.bytes_read == 0


def test_a_chunked_body_is_cut_at_the_limit(settings):
    settings.API_MAX_BODY_BYTES = 4096
    body = Endless()
    response = send("POST", NOTIFICATIONS, body=body)
    assert (response.status_code, envelope(response)["status"]) == (413, "request-too-large")
    assert body.bytes_read <= 4096 + 65536  # one read past the limit, never the rest


def test_a_chunked_body_within_the_limit_is_read(api):
    data = json.dumps({"notification_type": "email", "email_to": "ann@example.com", "email_subject": "Hi"})
    response = send(
        "POST", NOTIFICATIONS, body=io.BytesIO(data.encode()), HTTP_AUTHORIZATION=f"Bearer {api.token}"
    )
    assert (response.status_code, envelope(response)["status"]) == (200, "action-successful")
    assert Notification.objects.get().email_to == "ann@example.com"


def test_a_wrong_header_token_is_refused_before_the_body_is_read():
    body = io.BytesIO(b'{"notification_type": "email"}')
    response = send("POST", NOTIFICATIONS, body=body, length=30, HTTP_AUTHORIZATION="Bearer pca_" + "x" * 43)
    assert (response.status_code, envelope(response)["status"]) == (401, "invalid-token")
    assert body.tell() == 0


def test_a_file_part_is_refused_and_nothing_is_stored(api):
    upload = io.BytesIO(b"%PDF-1.4 " + b"x" * 50_000)
    upload.name = "big.pdf"
    fields = {"notification_type": "email", "email_to": "ann@example.com", "email_subject": "Hi"}
    code, body = api.call(
        "POST",
        NOTIFICATIONS,
        raw=encode_multipart(BOUNDARY, {**fields, "attachment": upload}),
        content_type=MULTIPART_CONTENT,
    )
    assert (code, body["status"]) == (400, "invalid-content-type")
    assert "`attachment`" in body["message"] and not Notification.objects.exists()


def test_multipart_fields_without_files_are_still_read(api):
    fields = {"notification_type": "email", "email_to": "ann@example.com", "email_subject": "Hi"}
    code, body = api.call(
        "POST", NOTIFICATIONS, raw=encode_multipart(BOUNDARY, fields), content_type=MULTIPART_CONTENT
    )
    assert (code, body["status"]) == (200, "action-successful")
    assert Notification.objects.get().email_subject == "Hi"


def test_the_limit_is_the_api_max_body_bytes_setting(api, settings):
    settings.API_MAX_BODY_BYTES = 64
    big = {"notification_type": "email", "email_to": "ann@example.com", "email_subject": "x" * 100}
    code, body = api.post(NOTIFICATIONS, big)
    assert (code, body["status"]) == (413, "request-too-large")


def test_outside_the_api_a_declared_gigabyte_is_refused_unread(settings):
    body = Endless()
    response = send(
        "POST", "/admin/login/", body=body, length=GIGABYTE, content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 413
    assert body.bytes_read == 0
