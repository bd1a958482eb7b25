"""Logged-in RingCentral `Platform`s, one per user and credential, tokens shared through the cache.

Tokens are cached per RingCentral user and credential, in-process (the
`Platform` object) and in the Django cache (encrypted), so every worker shares
one login instead of spending RingCentral's small Auth budget.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections import OrderedDict

import requests
from django.conf import settings
from django.core.cache import cache
from ringcentral.http.api_exception import ApiException
from ringcentral.http.api_response import ApiResponse
from ringcentral.platform import Platform

from planocore.crypto import decrypt_json, encrypt_json
from planocore.providers.base import ProviderError
from planocore.providers.ringcentral.client import TimeoutClient, _error_detail, provider_error
from planocore.providers.ringcentral.credentials import PASSWORD_FAILURES, Credentials, password_logins_spent

logger = logging.getLogger("planocore.providers.ringcentral")

# The package warns on every password login; the password grant is what the
# seed's rc_extension/rc_password contract needs, so the warning is noise here.
warnings.filterwarnings("ignore", message="username-password login", category=UserWarning)


class RingCentralSession:
    """A logged-in `Platform` for one credential, shared by the threads of a process."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self.lock = threading.Lock()
        self.platform = Platform(
            TimeoutClient(credentials.user_key),
            settings.RINGCENTRAL_CLIENT_ID,
            settings.RINGCENTRAL_CLIENT_SECRET,
            settings.RINGCENTRAL_SERVER_URL.rstrip("/"),
            "PlanoCore",
            "1.0",
        )

    @property
    def cache_key(self) -> str:
        return f"ringcentral:token:{self.credentials.fingerprint()}"

    def _store(self) -> None:
        data = self.platform.auth().data()
        ttl = int(max(data.get("refresh_token_expire_time") or 0, data.get("expire_time") or 0) - time.time())
        if ttl > 0:
            cache.set(self.cache_key, encrypt_json(data), timeout=ttl)

    def _load(self) -> bool:
        stored = cache.get(self.cache_key)
        if not stored:
            return False
        try:
            self.platform.auth().set_data(decrypt_json(stored))
        except ValueError:
            return False
        return True

    def forget_access_token(self) -> None:
        """RingCentral refused the access token: drop it, keep the refresh token for a refresh."""
        auth = self.platform.auth()
        auth.set_data({**auth.data(), "expire_time": 0})
        self._store()

    def _login(self) -> None:
        creds = self.credentials
        if creds.password_budget and (wait := password_logins_spent(creds.password_budget)):
            raise ProviderError(
                f"Too many refused password logins of extension {creds.extension}: no login is "
                f"tried for {wait} s.",
                retryable=False,
            )
        try:
            if creds.jwt:
                self.platform.login(jwt=creds.jwt)
            else:
                self.platform.login(
                    username=creds.username, extension=creds.extension, password=creds.password
                )
        except Exception as exc:
            error = provider_error(exc, doing=f"the {creds.grant} login")
            if error.http_status in (400, 401, 403):
                detail = _error_detail(error.response.get("error")) or "no detail"
                whose = f" of extension {creds.extension}" if creds.extension else ""
                error.message = (
                    f"RingCentral refused the {creds.grant} login{whose} (HTTP {error.http_status}): {detail}"
                )
                if creds.password_budget:
                    PASSWORD_FAILURES.record(creds.password_budget)
            raise error from None
        logger.info("Logged in to RingCentral as %s (%s grant)", creds.user_key, creds.grant)
        self._store()

    def ensure_token(self) -> None:
        """Have a valid access token: this process's, the shared cache's, a refreshed one or a new login."""
        auth = self.platform.auth()
        if auth.access_token_valid():
            return
        if self._load() and auth.access_token_valid():
            return
        if auth.refresh_token() and auth.refresh_token_valid():
            try:
                self.platform.refresh()
            except Exception as exc:  # an expired or revoked refresh token: log in again
                logger.info("RingCentral token refresh failed (%s); logging in again", type(exc).__name__)
            else:
                self._store()
                return
        self._login()

    def request(self, method: str, path: str, *, doing: str, **kwargs) -> ApiResponse:
        """Make one authenticated call; log in again once if the token was refused."""
        for attempt in (1, 2):
            with self.lock:
                self.ensure_token()
            try:
                if method == "SEND":
                    return self.platform.send_request(kwargs["request"])
                return getattr(self.platform, method.lower())(path, **kwargs)
            except ApiException as exc:
                error = provider_error(exc, doing=doing)
                if error.http_status == 401 and attempt == 1:
                    # The token expired early or was revoked: refresh it, or log in again.
                    with self.lock:
                        self.forget_access_token()
                    continue
                raise error from None
            except requests.RequestException as exc:  # raised outside the package's wrapper
                raise provider_error(exc, doing=doing) from None
        raise AssertionError("unreachable")


# Process-local sessions, least recently used first. Bounded: every distinct
# password a caller sends gets its own login, and they must not pile up.
_sessions: OrderedDict[str, RingCentralSession] = OrderedDict()
_sessions_lock = threading.Lock()
MAX_SESSIONS = 64


def session_for(credentials: Credentials) -> RingCentralSession:
    """This process's session for the credential (tokens cached and refreshed)."""
    key = credentials.fingerprint()
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = RingCentralSession(credentials)
            while len(_sessions) > MAX_SESSIONS:
                _sessions.popitem(last=False)
        else:
            _sessions.move_to_end(key)
        return session


def reset_sessions() -> None:
    """Forget every process-local session (tests, or after changing settings)."""
    with _sessions_lock:
        _sessions.clear()
