"""Fetch a URL a caller gave us, fenced against server-side request forgery.

Every URL the server fetches on a caller's behalf goes through `fetch_url` (today:
an MMS's `media_url`, in `planocore.providers.ringcentral.backends.fetch_media`), and the
API judges it first with `check_url`. The fence:

- scheme: `https` only; `http` too when settings.MEDIA_URL_ALLOW_HTTP is on. No
  user:password in the URL.
- host: when settings.MEDIA_URL_ALLOWED_HOSTS is set, only those hosts (entries
  `host`, `host:port`, `*.example.com` for its subdomains; IPv6 in brackets).
- address: the host is resolved once (`socket.getaddrinfo`, which also reads odd
  IPv4 spellings such as `2130706433`, `0177.0.0.1`, `0x7f.1`) and every address
  it gives must be public (`is_public_address`: no loopback, private, link-local,
  unique-local, shared/CGNAT, multicast, reserved, unspecified, nor an IPv6 form
  embedding one: IPv4-mapped, 6to4, Teredo, NAT64). The one exception: an
  allow-list entry that is an IP literal (`127.0.0.1:9100`) permits that address,
  and only where the URL names it literally; a hostname entry never lifts the
  address check. That is how a private media server, and the tests' local fakes,
  are reached; the default (no entries) refuses every one.
- connection: to the address that was checked (`transport.pinned_pool`, the
  transport's urllib3 pool on the IP, with the Host header, TLS SNI and certificate
  check for the hostname), so no second DNS lookup can answer differently; no
  proxy from the environment.
- redirects: followed by hand, each new URL fenced the same way, at most
  MAX_REDIRECTS.
- answer: 200 only; the Content-Type is checked against the caller's list before
  any of the body is read; a Content-Length over the cap is refused; the body is
  read in chunks and refused the moment it passes `max_bytes`. Connect and read
  timeouts of `timeout` seconds each, and the whole fetch within twice that.

Anything else raises FetchRefused. Its message says why, for the log only: the
caller gets one neutral message from the code that called (no status, no
"connection refused" versus "timeout"), so the fence is no port scanner.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from django.conf import settings

from planocore.providers import transport

MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024
_HOST_CHARS = re.compile(r"[a-z0-9._:-]+")  # names (IDNA-encoded), IPv4 and IPv6 literals

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not caught by ipaddress's is_global on every Python: shared address space,
# 6to4 relays, NAT64, Teredo, IETF protocol assignments, segment routing.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "100.64.0.0/10",
        "192.0.0.0/24",
        "192.88.99.0/24",
        "198.18.0.0/15",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2001::/23",
        "2002::/16",
        "5f00::/16",
        "3fff::/20",
    )
)


class FetchRefused(Exception):
    """The URL may not be fetched, or what it answered is not what was asked for.

    The message is for the server's log, never for the caller.
    """


class Unresolvable(FetchRefused):
    """The host gave no address: nothing to judge yet (the API lets it through; a fetch refuses it)."""


@dataclass(frozen=True)
class Target:
    """A URL judged fetchable: where to connect (`address`) and what to ask for."""

    url: str
    scheme: str
    host: str  # as named in the URL (IDNA, lower case, no brackets)
    port: int
    address: str  # the checked IP address the connection goes to
    path: str  # path and query

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL, after redirects
    content: bytes
    content_type: str  # lower case, without parameters


def allow_http() -> bool:
    return bool(settings.MEDIA_URL_ALLOW_HTTP)


def allowed_hosts() -> list[str]:
    return [entry.strip().lower() for entry in settings.MEDIA_URL_ALLOWED_HOSTS if entry.strip()]


def is_public_address(ip: IPAddress) -> bool:
    """True for an address on the public internet; False for every internal or special one."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
    return (
        ip.is_global
        and not ip.is_private
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_unspecified
        and not (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
        and not any(ip in net for net in _EXTRA_BLOCKED if net.version == ip.version)
    )


def _literal(host: str) -> IPAddress | None:
    """The IP address a URL's host names in the standard spelling, else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _split_entry(entry: str) -> tuple[str, int | None]:
    """An allow-list entry as (host, port or None): `host`, `host:port`, `[v6]`, `[v6]:port`."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif entry.count(":") == 1:
        host, port = entry.split(":")
    else:
        host, port = entry, ""
    return host.rstrip("."), (int(port) if port.isdigit() else None)


def _allow_list_match(host: str, port: int, entries: list[str]) -> str | None:
    """The entry permitting host:port ("" when there is no allow-list), or None when none does."""
    if not entries:
        return ""
    for entry in entries:
        entry_host, entry_port = _split_entry(entry)
        if entry_port is not None and entry_port != port:
            continue
        if entry_host.startswith("*."):
            if host.endswith(entry_host[1:]):
                return entry
        elif host == entry_host or (_literal(host) and _literal(host) == _literal(entry_host)):
            return entry
    return None


def _resolve(host: str, port: int) -> str:
    """The address to connect to: every address the host resolves to must be public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolvable(f"{host} does not resolve ({type(exc).__name__})") from None
    addresses = []
    for family, _, _, _, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        ip = ipaddress.ip_address(sockaddr[0])
        if not is_public_address(ip):
            raise FetchRefused(f"{host} resolves to {ip}, not a public address")
        addresses.append(str(ip))
    if not addresses:
        raise Unresolvable(f"{host} resolves to no address")
    return addresses[0]


def check_url(url: str) -> Target:
    """Judge `url` by the fence and resolve its host once; raise FetchRefused or return where to connect."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchRefused(f"not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and allow_http()):
        raise FetchRefused(f"scheme {scheme!r} is not allowed")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused("credentials in the URL")
    raw_host = (parts.hostname or "").rstrip(".")
    if not raw_host or "%" in raw_host:
        raise FetchRefused("no host, or an IPv6 zone")
    try:
        host = raw_host if raw_host.isascii() else raw_host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchRefused("a host name that is not valid IDNA") from None
    if not _HOST_CHARS.fullmatch(host):
        raise FetchRefused("characters a host name cannot hold")
    if port is None:
        port = 443 if scheme == "https" else 80
    entry = _allow_list_match(host, port, allowed_hosts())
    if entry is None:
        raise FetchRefused(f"{host}:{port} is not in MEDIA_URL_ALLOWED_HOSTS")
    literal = _literal(host)
    if entry and literal is not None and _literal(_split_entry(entry)[0]) == literal:
        address = str(literal)  # an IP literal the allow-list names: permitted as it is
    else:
        address = _resolve(host, port)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(url=url, scheme=scheme, host=host, port=port, address=address, path=path)


def fetch_url(url: str, *, content_types: Collection[str], max_bytes: int, timeout: float) -> Fetched:
    """GET `url` within the fence: a 200 of one of `content_types`, at most `max_bytes`; else FetchRefused."""
    deadline = time.monotonic() + 2 * timeout
    for _ in range(MAX_REDIRECTS + 1):
        if time.monotonic() > deadline:
            raise FetchRefused("took too long")
        target = check_url(url)
        pool = transport.pinned_pool(
            "media fetch",
            scheme=target.scheme,
            address=target.address,
            port=target.port,
            host=target.host,
            seconds=timeout,
            ca_certs=certifi.where(),
        )
        try:
            response = pool.urlopen(
                "GET",
                target.path,
                headers={
                    "Host": target.host_header,
                    "Accept": ", ".join(sorted(content_types)),
                    "Accept-Encoding": "identity",
                    "User-Agent": "PlanoCore media fetch",
                },
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                if response.status in REDIRECT_STATUSES and response.headers.get("Location"):
                    url = urljoin(url, response.headers["Location"])
                    continue
                return _read(target, response, content_types, max_bytes, deadline)
            finally:
                response.release_conn()
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise FetchRefused(f"{target.host}: {type(exc).__name__}") from None
        finally:
            pool.close()
    raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")


def _read(
    target: Target,
    response: urllib3.BaseHTTPResponse,
    content_types: Collection[str],
    max_bytes: int,
    deadline: float,
) -> Fetched:
    if response.status != 200:
        raise FetchRefused(f"{target.host} answered HTTP {response.status}")
    content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in content_types:
        raise FetchRefused(f"{target.host} answered type {content_type or 'unknown'!r}")
    declared = response.headers.get("Content-Length") or "0"
    if not declared.isdigit() or int(declared) > max_bytes:
        raise FetchRefused(f"{target.host} declared {declared} bytes, more than {max_bytes} bytes")
    chunks, size = [], 0
    # read1: whatever has arrived (up to a chunk), so a server dripping bytes
    # within the read timeout still meets the deadline.
    while chunk := response.read1(CHUNK_BYTES, decode_content=False):
        size += len(chunk)
        if size > max_bytes:
            raise FetchRefused(f"{target.host} sent more than {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise FetchRefused(f"{target.host} took too long")
        chunks.append(chunk)
    return Fetched(url=target.url, content=b"".join(chunks), content_type=content_type)
