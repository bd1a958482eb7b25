"""The fence around URLs the server fetches on a caller's behalf (media_url), issue 15 item 1.

A recorder on 127.0.0.1 (and one on ::1) stands for an internal service: for
every spelling of an internal address, directly or through a redirect, it must
receive no request, the API must refuse the URL as invalid-param where it can
judge it, and the send must fail permanently with one neutral message.
"""

import contextlib
import socket
import threading
import time
from http.server import ThreadingHTTPServer
from urllib.parse import quote

import pytest

from notifications.models import Notification
from planocore.outbox import services as outbox
from planocore.outbox.models import ExternalRequest, ExternalRequestAttempt
from planocore.providers import fetch
from planocore.providers.ringcentral.backends import MEDIA_FETCH_FAILED, MMS_MAX_BYTES
from tests.fakes.base import FakeServer, Reply
from tests.notifications.conftest import URL

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:username-password login:UserWarning"),
]

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
SMS_PAYLOAD = {"from": "+16505550100", "to": ["+16505550111"], "text": "Photo", "extension_id": None}
MMS_PARAMS = {
    "notification_type": "mms",
    "phone_from": "+15550001111",
    "phone_to": "+15550002222",
    "email_body": "Your photo",
}


class Recorder(FakeServer):
    """An 'internal service': answers every GET with a PNG, and records it."""

    def register(self) -> None:
        self.route("GET", r"/.*", lambda received, groups: Reply(200, raw=PNG, content_type="image/png"))


class _V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class Redirector(FakeServer):
    """A media host the allow-list permits: /go?to=URL answers 302 to URL; /hop/N chains N redirects."""

    def register(self) -> None:
        self.route("GET", r"/go", self.go)
        self.route("GET", r"/hop/(?P<n>\d+)", self.hop)
        self.route("GET", r"/media/(?P<name>.+)", self.media)
        self.files: dict[str, tuple[bytes, str]] = {}

    def go(self, received, groups):
        return Reply(302, raw=b"", headers={"Location": received.query["to"][0]})

    def hop(self, received, groups):
        n = int(groups["n"])
        target = f"/hop/{n - 1}" if n > 1 else "/media/photo.png"
        return Reply(302, raw=b"", headers={"Location": target})

    def media(self, received, groups):
        body, content_type = self.files.get(groups["name"], (PNG, "image/png"))
        return Reply(200, raw=body, content_type=content_type)


@pytest.fixture
def notify(api, django_capture_on_commit_callbacks):
    """POST a notification with on-commit work (the queued send) run; returns (code, body)."""

    def post(params: dict):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(URL, params)

    return post


@pytest.fixture(scope="module")
def servers():
    recorder = Recorder().start()
    recorder6 = Recorder(host="::1")
    recorder6.server_class = _V6Server
    try:
        recorder6.start()
    except OSError:  # no IPv6 loopback here: [::1] is still refused, with nothing to record it
        recorder6 = None
    redirector = Redirector().start()
    yield recorder, recorder6, redirector
    for server in (recorder, recorder6, redirector):
        if server is not None:
            server.stop()


@pytest.fixture
def fence(servers, ringcentral_fake, settings):
    """Plain http allowed (the recorder speaks http: only the address check can refuse it); no allow-list."""
    recorder, recorder6, redirector = servers
    for server in (recorder, recorder6, redirector):
        if server is not None:
            server.received.clear()
    settings.MEDIA_URL_ALLOW_HTTP = True
    settings.MEDIA_URL_ALLOWED_HOSTS = []
    return recorder, recorder6, redirector


INTERNAL_CASES = [
    "direct",
    "hostname",
    "trailing-dot hostname",
    "ipv6 loopback",
    "unspecified",
    "decimal",
    "octal",
    "hex",
    "ipv4-mapped ipv6",
]


def _internal_urls(recorder, recorder6) -> dict[str, str]:
    port = recorder.port_number
    port6 = recorder6.port_number if recorder6 else port
    return {
        "direct": f"http://127.0.0.1:{port}/photo.png",
        "hostname": f"http://localhost:{port}/photo.png",
        "trailing-dot hostname": f"http://localhost.:{port}/photo.png",
        "ipv6 loopback": f"http://[::1]:{port6}/photo.png",
        "unspecified": f"http://0.0.0.0:{port}/photo.png",
        "decimal": f"http://2130706433:{port}/photo.png",
        "octal": f"http://0177.0.0.1:{port}/photo.png",
        "hex": f"http://0x7f.1:{port}/photo.png",
        "ipv4-mapped ipv6": f"http://[::ffff:127.0.0.1]:{port}/photo.png",
    }


def _send(media_url):
    request = outbox.enqueue(
        channel="mms",
        action="send",
        payload={**SMS_PAYLOAD, "media_url": media_url},
        priority=9,
        dispatch=False,
    )
    return outbox.send(request.pk), ExternalRequest.objects.get(pk=request.pk)


def _assert_nothing_reached(recorder, recorder6, ringcentral_fake):
    assert recorder.received == []
    assert recorder6 is None or recorder6.received == []
    assert ringcentral_fake.mms == []


def _assert_neutral_failure(outcome, request):
    assert request.status == ExternalRequest.Status.FAILED and not outcome.retryable
    assert request.last_error == MEDIA_FETCH_FAILED
    assert str(MMS_MAX_BYTES) in request.last_error
    assert request.response == {}
    attempt = ExternalRequestAttempt.objects.get(request=request)
    assert attempt.http_status is None and attempt.error == MEDIA_FETCH_FAILED


# Host names the API leaves to the fetch (issue 25.8): no DNS at the API, so its answer
# cannot tell an internal name from one that does not resolve.
# ("localhost." is refused by the URL's shape alone, as before.)
NAME_CASES = ["hostname"]


# --- through the API: refused as invalid-param -----------------------------------------
@pytest.mark.parametrize("case", [c for c in INTERNAL_CASES if c not in NAME_CASES])
def test_api_refuses_internal_addresses(api, fence, ringcentral_fake, case):
    recorder, recorder6, _ = fence
    code, body = api.post(URL, {**MMS_PARAMS, "media_url": _internal_urls(recorder, recorder6)[case]})
    assert (code, body["status"]) == (400, "invalid-param"), body
    assert "media_url" in body["errors"] and "media_url" in body["message"]
    assert not Notification.objects.exists() and not ExternalRequest.objects.exists()
    _assert_nothing_reached(recorder, recorder6, ringcentral_fake)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/a.png",
        "https://192.168.1.1/a.png",
        "https://100.64.0.1/a.png",
        "https://[fe80::1]/a.png",
        "https://[fd00::1]/a.png",
        "https://[ff02::1]/a.png",
        "https://224.0.0.1/a.png",
        "https://240.0.0.1/a.png",
        "https://[::]/a.png",
        "https://user:pw@example.com/a.png",
    ],
)
def test_api_refuses_other_non_public_targets(api, fence, url):
    code, body = api.post(URL, {**MMS_PARAMS, "media_url": url})
    assert (code, body["status"]) == (400, "invalid-param"), body
    assert "media_url" in body["errors"]


def test_a_host_that_does_not_resolve_is_judged_when_sent(api, notify, ringcentral_fake, settings):
    """A name is not resolved at the API (a DNS hiccup loses nothing); the send refuses it."""
    settings.MEDIA_URL_ALLOWED_HOSTS = [*settings.MEDIA_URL_ALLOWED_HOSTS, "no-such-host.invalid"]
    code, body = notify({**MMS_PARAMS, "media_url": "https://no-such-host.invalid/a.png"})
    assert (code, body["status"]) == (200, "action-successful"), body
    request = ExternalRequest.objects.get()
    assert request.status == ExternalRequest.Status.FAILED
    assert request.last_error == MEDIA_FETCH_FAILED
    assert ringcentral_fake.mms == []


@pytest.mark.parametrize("case", NAME_CASES)
def test_an_internal_host_name_is_judged_when_sent(notify, fence, ringcentral_fake, case):
    """Issue 25.8: an internal name answers at the API as a name that does not resolve (both
    taken, both refused at send time, neutrally); the internal service receives nothing."""
    recorder, recorder6, _ = fence
    code, body = notify({**MMS_PARAMS, "media_url": _internal_urls(recorder, recorder6)[case]})
    assert (code, body["status"]) == (200, "action-successful"), body
    request = ExternalRequest.objects.get()
    assert (request.status, request.last_error) == (ExternalRequest.Status.FAILED, MEDIA_FETCH_FAILED)
    _assert_nothing_reached(recorder, recorder6, ringcentral_fake)


def test_api_refuses_plain_http_by_default(api, settings):
    settings.MEDIA_URL_ALLOW_HTTP = False
    code, body = api.post(URL, {**MMS_PARAMS, "media_url": "http://example.com/a.png"})
    assert (code, body["status"]) == (400, "invalid-param"), body
    assert "https" in body["errors"]["media_url"][0]


def test_api_refuses_hosts_outside_the_allow_list(api, settings):
    settings.MEDIA_URL_ALLOWED_HOSTS = ["media.example.com"]
    code, body = api.post(URL, {**MMS_PARAMS, "media_url": "https://other.example.com/a.png"})
    assert (code, body["status"]) == (400, "invalid-param"), body
    assert "media_url" in body["errors"]


def test_admin_form_refuses_an_internal_media_url(client, staff_user, fence):
    from django.urls import reverse

    recorder, recorder6, _ = fence
    client.force_login(staff_user)
    data = {
        **MMS_PARAMS,
        "media_url": _internal_urls(recorder, recorder6)["direct"],  # names: judged at send (25.8)
        "outbox-externalrequest-content_type-object_id-TOTAL_FORMS": "0",
        "outbox-externalrequest-content_type-object_id-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:notifications_notification_add"), data)
    assert response.status_code == 200
    assert "media_url" in response.context["adminform"].form.errors
    assert not Notification.objects.exists() and recorder.received == []


def test_api_does_not_check_media_url_of_a_stored_only_notification(api, fence):
    recorder, _, _ = fence
    code, body = api.post(URL, {"key": "k", "media_url": "https://example.com/a.png"})
    assert code == 200, body
    assert recorder.received == []


# --- at send time: a permanent failure with one neutral message ------------------------
@pytest.mark.parametrize("case", INTERNAL_CASES)
def test_send_refuses_internal_addresses(fence, ringcentral_fake, case):
    recorder, recorder6, _ = fence
    outcome, request = _send(_internal_urls(recorder, recorder6)[case])
    _assert_neutral_failure(outcome, request)
    _assert_nothing_reached(recorder, recorder6, ringcentral_fake)


@pytest.mark.parametrize("case", ["direct", "hostname", "ipv6 loopback", "decimal", "octal", "unspecified"])
def test_redirect_from_an_allowed_host_to_an_internal_one_is_not_followed(
    fence, ringcentral_fake, settings, case
):
    recorder, recorder6, redirector = fence
    settings.MEDIA_URL_ALLOWED_HOSTS = [f"127.0.0.1:{redirector.port_number}", "localhost"]
    target = _internal_urls(recorder, recorder6)[case]
    outcome, request = _send(f"{redirector.url}/go?to={quote(target, safe='')}")
    _assert_neutral_failure(outcome, request)
    assert len(redirector.requests_to("GET", "/go")) == 1
    _assert_nothing_reached(recorder, recorder6, ringcentral_fake)


def test_redirect_refused_through_the_api_shows_only_the_neutral_message(
    notify, api, fence, ringcentral_fake, settings
):
    recorder, recorder6, redirector = fence
    settings.MEDIA_URL_ALLOWED_HOSTS = [f"127.0.0.1:{redirector.port_number}"]
    target = f"http://127.0.0.1:{recorder.port_number}/secret"
    media_url = f"{redirector.url}/go?to={quote(target, safe='')}"

    code, body = notify({**MMS_PARAMS, "media_url": media_url})

    assert code == 200, body
    _assert_nothing_reached(recorder, recorder6, ringcentral_fake)
    notification = Notification.objects.get()
    code, body = api.get(f"{URL}/{notification.pk}", {"view": "default-with-proof"})
    assert code == 200, body
    [proof] = body["data"]["proof"]
    assert proof["status"] == "failed" and proof["last_error"] == MEDIA_FETCH_FAILED
    proof_text = str(body["data"]["proof"])
    assert str(recorder.port_number) not in proof_text and "refused" not in proof_text.lower()


def test_an_allowed_private_address_allows_only_its_port(fence, ringcentral_fake, settings):
    recorder, recorder6, redirector = fence
    settings.MEDIA_URL_ALLOWED_HOSTS = [f"127.0.0.1:{redirector.port_number}"]
    outcome, request = _send(f"http://127.0.0.1:{recorder.port_number}/photo.png")
    _assert_neutral_failure(outcome, request)
    _assert_nothing_reached(recorder, recorder6, ringcentral_fake)


def test_a_hostname_in_the_allow_list_must_still_resolve_to_public_addresses(
    fence, ringcentral_fake, settings
):
    recorder, recorder6, _ = fence
    settings.MEDIA_URL_ALLOWED_HOSTS = ["localhost"]
    outcome, request = _send(f"http://localhost:{recorder.port_number}/photo.png")
    _assert_neutral_failure(outcome, request)
    _assert_nothing_reached(recorder, recorder6, ringcentral_fake)


def test_at_most_three_redirects_are_followed(fence, ringcentral_fake, settings):
    _, _, redirector = fence
    settings.MEDIA_URL_ALLOWED_HOSTS = [f"127.0.0.1:{redirector.port_number}"]

    outcome, request = _send(f"{redirector.url}/hop/3")
    assert outcome.succeeded, request.last_error
    assert ringcentral_fake.mms[0]["attachments"][0]["content"] == PNG

    redirector.received.clear()
    outcome, request = _send(f"{redirector.url}/hop/4")
    _assert_neutral_failure(outcome, request)
    assert len(redirector.received) == 4  # the first request and three redirects; the fourth not followed
    assert len(ringcentral_fake.mms) == 1


def test_the_checked_address_is_the_one_connected_to(fence, ringcentral_fake, settings, monkeypatch):
    """DNS rebinding: a name first answers a public address, then loopback; only the first is used."""
    recorder, recorder6, _ = fence
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    real = socket.getaddrinfo
    lookups = []

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example.com":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = "192.0.2.1" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(fetch, "is_public_address", lambda ip: str(ip) == "192.0.2.1")  # a stand-in public IP
    outcome, request = _send(f"http://rebind.example.com:{recorder.port_number}/photo.png")

    _assert_neutral_failure(outcome, request)  # 192.0.2.1 (TEST-NET) does not answer
    assert lookups == ["rebind.example.com"]
    _assert_nothing_reached(recorder, recorder6, ringcentral_fake)


# --- what is fetched: type and size --------------------------------------------------------
def test_allowed_media_is_fetched_within_the_cap(fence, ringcentral_fake, settings):
    _, _, redirector = fence
    settings.MEDIA_URL_ALLOWED_HOSTS = [f"127.0.0.1:{redirector.port_number}"]
    redirector.files["ten.png"] = (b"x" * 10, "image/png; charset=binary")

    url = f"{redirector.url}/media/ten.png"
    got = fetch.fetch_url(url, content_types={"image/png"}, max_bytes=10, timeout=2)
    assert (got.content, got.content_type) == (b"x" * 10, "image/png")

    with pytest.raises(fetch.FetchRefused, match="more than 9 bytes"):
        fetch.fetch_url(url, content_types={"image/png"}, max_bytes=9, timeout=2)
    with pytest.raises(fetch.FetchRefused, match="type 'image/png'"):
        fetch.fetch_url(url, content_types={"image/gif"}, max_bytes=10, timeout=2)


@contextlib.contextmanager
def _raw_server(settings, head: bytes, pieces: list[bytes], pause: float = 0.0):
    """A one-answer HTTP server on 127.0.0.1 written by hand (what FakeServer cannot send), allowed.

    Answers `head`, then each of `pieces`, `pause` seconds apart; yields its base URL.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    settings.MEDIA_URL_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]

    def serve():
        conn, _ = listener.accept()
        with conn, contextlib.suppress(OSError):
            conn.recv(65536)
            conn.sendall(head)
            for piece in pieces:
                time.sleep(pause)
                conn.sendall(piece)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        thread.join(6)
        listener.close()


def test_the_body_is_capped_while_streaming_even_without_content_length(fence, settings):
    """A server that sends no Content-Length (it closes the connection instead) is cut off at the cap."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n"
    with (
        _raw_server(settings, head, [b"y" * 16384] * 64) as base,
        pytest.raises(fetch.FetchRefused, match="sent more than 50000 bytes"),
    ):
        fetch.fetch_url(f"{base}/big.png", content_types={"image/png"}, max_bytes=50_000, timeout=2)


def test_a_server_dripping_bytes_is_cut_off_at_the_deadline(fence, settings):
    """Each byte within the read timeout, but the whole answer slower than twice the timeout: refused."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 40\r\n\r\n"
    with (
        _raw_server(settings, head, [b"z"] * 40, pause=0.1) as base,
        pytest.raises(fetch.FetchRefused, match="took too long"),
    ):
        # 40 bytes 0.1 s apart: each read is within 0.5 s, the whole answer (4 s) is not within 1 s.
        fetch.fetch_url(f"{base}/slow.png", content_types={"image/png"}, max_bytes=1000, timeout=0.5)


def test_wrong_type_is_refused_before_the_body_is_read(fence, ringcentral_fake, settings):
    _, _, redirector = fence
    settings.MEDIA_URL_ALLOWED_HOSTS = [f"127.0.0.1:{redirector.port_number}"]
    redirector.files["page.html"] = (b"<html>internal</html>", "text/html")
    outcome, request = _send(f"{redirector.url}/media/page.html")
    _assert_neutral_failure(outcome, request)
    assert ringcentral_fake.mms == []


def test_by_default_nothing_local_and_no_plain_http(settings):
    """No allow-list and no plain http by default: the fakes are reachable only through test settings."""
    from planocore import settings as defaults

    assert defaults.MEDIA_URL_ALLOW_HTTP is False and defaults.MEDIA_URL_ALLOWED_HOSTS == []
    settings.MEDIA_URL_ALLOW_HTTP, settings.MEDIA_URL_ALLOWED_HOSTS = False, []
    for url in ("https://127.0.0.1/a.png", "https://localhost/a.png", "http://example.com/a.png"):
        with pytest.raises(fetch.FetchRefused):
            fetch.check_url(url)


# --- TLS: pinned to the checked address, verified for the host name ------------------------
def _certificates(tmp_path):
    """A CA and a leaf certificate for media.test signed by it; returns (ca file, cert file, key file)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def build(subject, issuer, public_key, signing_key, *, ca, names=()):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
            )
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = build("Test CA", "Test CA", ca_key.public_key(), ca_key, ca=True)
    leaf = build("media.test", "Test CA", leaf_key.public_key(), ca_key, ca=False, names=["media.test"])
    files = {}
    for name, data in (
        ("ca.pem", ca.public_bytes(serialization.Encoding.PEM)),
        ("leaf.pem", leaf.public_bytes(serialization.Encoding.PEM)),
        (
            "leaf.key",
            leaf_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        ),
    ):
        files[name] = tmp_path / name
        files[name].write_bytes(data)
    return str(files["ca.pem"]), str(files["leaf.pem"]), str(files["leaf.key"])


def test_https_connects_to_the_checked_address_and_verifies_the_host_name(tmp_path, settings, monkeypatch):
    import ssl

    ca_file, cert_file, key_file = _certificates(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    server_names = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)

    class TLSServer(ThreadingHTTPServer):
        def get_request(self):
            sock, address = super().get_request()
            return context.wrap_socket(sock, server_side=True), address

    server = Recorder()
    server.server_class = TLSServer
    server.start()
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in ("media.test", "other.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(fetch, "is_public_address", lambda ip: True)  # stand-in: 127.0.0.1 as public
    monkeypatch.setattr(fetch.certifi, "where", lambda: ca_file)
    settings.MEDIA_URL_ALLOW_HTTP, settings.MEDIA_URL_ALLOWED_HOSTS = False, []
    port = server.port_number
    try:
        got = fetch.fetch_url(
            f"https://media.test:{port}/photo.png", content_types={"image/png"}, max_bytes=1000, timeout=2
        )
        assert got.content == PNG
        assert server_names == ["media.test"]
        assert server.received[0].headers["host"] == f"media.test:{port}"

        with pytest.raises(fetch.FetchRefused, match="SSLError"):
            fetch.fetch_url(
                f"https://other.test:{port}/photo.png", content_types={"image/png"}, max_bytes=1000, timeout=2
            )
        assert len(server.received) == 1  # the certificate is not other.test's: no request sent
    finally:
        server.stop()


# --- issue 25.8: one deadline; the same answer for unresolvable and internal hosts ---------
@contextlib.contextmanager
def _slow_redirects(settings, hops: int, delay: float):
    """An allowed http server: /hop/N waits `delay` then redirects to /hop/N-1; /hop/0 is a PNG."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]
    settings.MEDIA_URL_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                request = conn.recv(65536).decode("latin-1")
                n = int(request.split(" ")[1].rsplit("/", 1)[1])
                time.sleep(delay)
                if n:
                    conn.sendall(
                        f"HTTP/1.1 302 Found\r\nLocation: /hop/{n - 1}\r\nContent-Length: 0\r\n"
                        "Connection: close\r\n\r\n".encode()
                    )
                else:
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n"
                        + f"Content-Length: {len(PNG)}\r\n\r\n".encode()
                        + PNG
                    )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/hop/{hops}"
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def test_slow_redirects_share_one_deadline(fence, settings):
    """Three redirects, each just within the read timeout: the whole fetch still ends by its deadline."""
    timeout = 0.5  # the deadline is twice that: 1 s
    with _slow_redirects(settings, hops=3, delay=0.45) as url:
        started = time.monotonic()
        with pytest.raises(fetch.FetchRefused, match="took too long"):
            fetch.fetch_url(url, content_types={"image/png"}, max_bytes=1000, timeout=timeout)
        assert time.monotonic() - started < 2 * timeout + 0.25


def test_fast_redirects_are_followed_within_the_deadline(fence, settings):
    with _slow_redirects(settings, hops=3, delay=0.01) as url:
        fetched = fetch.fetch_url(url, content_types={"image/png"}, max_bytes=1000, timeout=0.5)
    assert fetched.content == PNG


def test_the_api_answers_the_same_for_an_unresolvable_host_and_an_internal_one(api, fence, monkeypatch):
    """An internal name answered invalid-param and an unresolvable one 200: an oracle of host names.

    Now the API asks DNS nothing about a name (the fetch does), so both answers are alike."""
    asked = []
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        asked.append((host, kwargs.get("flags", 0)))
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answers = []
    for url in ("https://no-such-host.invalid/a.png", "https://localhost/a.png"):
        code, body = api.post(URL, {**MMS_PARAMS, "media_url": url})
        answers.append((code, body["status"], body["message"]))
    assert answers[0] == answers[1] and answers[0][:2] == (200, "action-successful")
    assert all(flags & socket.AI_NUMERICHOST for _, flags in asked)  # never a DNS lookup
