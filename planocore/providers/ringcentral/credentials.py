"""Which RingCentral login a send uses, and the budget of refused caller passwords."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from django.conf import settings

from planocore.budgets import CallerLimit
from planocore.providers.base import ProviderError
from planocore.providers.ringcentral.models import RingCentralExtension
from planocore.providers.ringcentral.selectors import ringcentral_extension_default


# --- credentials ------------------------------------------------------------------
@dataclass(frozen=True)
class Credentials:
    """How to log in as one RingCentral user.

    `user_key` names the user (an extension record, or "default" for the
    settings' JWT) for the rate-limit budget; the token cache is keyed by the
    user and a keyed hash of the credential, so a different password never
    reuses another one's token.
    """

    user_key: str
    jwt: str = field(default="", repr=False)
    username: str = ""
    extension: str = ""
    password: str = field(default="", repr=False)
    # Set (to the extension's id) when the password came with the request
    # (`rc_password`): its refusals count against PASSWORD_FAILURES for the extension.
    password_budget: str = ""

    @property
    def grant(self) -> str:
        return "jwt" if self.jwt else "password"

    def fingerprint(self) -> str:
        material = "\x1f".join(
            [
                settings.RINGCENTRAL_SERVER_URL,
                settings.RINGCENTRAL_CLIENT_ID,
                settings.RINGCENTRAL_CLIENT_SECRET,
                self.user_key,
                self.jwt,
                self.username,
                self.extension,
                self.password,
            ]
        )
        return hmac.new(settings.SECRET_KEY.encode(), material.encode(), hashlib.sha256).hexdigest()[:32]


def _extension(extension_id: int | None) -> RingCentralExtension | None:
    if extension_id is None:
        return ringcentral_extension_default()
    try:
        return RingCentralExtension.objects.get(pk=extension_id)
    except RingCentralExtension.DoesNotExist:
        raise ProviderError(
            f"RingCentral extension #{extension_id} does not exist.", retryable=False
        ) from None


def user_key(extension_id: int | None) -> str:
    """The RingCentral user a send with this `extension_id` acts as (its rate-limit budget)."""
    if extension_id is not None:
        return f"ringcentral:ext:{extension_id}"
    ext = _extension(None)
    return f"ringcentral:ext:{ext.pk}" if ext is not None else "ringcentral:default"


def credentials_for(*, extension_id: int | None, password: str = "") -> Credentials:
    """Pick the login for a send.

    No extension: the first active default extension's own JWT, else
    settings.RINGCENTRAL_JWT, else that extension's stored password. A given
    extension: the password the caller gave (password grant with the
    extension's login phone number and number), else its stored JWT, else its
    stored password, else (a default extension) settings.RINGCENTRAL_JWT.
    Raise a permanent ProviderError when there is none.
    """
    ext = _extension(extension_id)
    if extension_id is None:
        key = f"ringcentral:ext:{ext.pk}" if ext is not None else "ringcentral:default"
        if ext is not None and ext.jwt:
            return Credentials(user_key=key, jwt=ext.jwt)
        if settings.RINGCENTRAL_JWT:
            return Credentials(user_key=key, jwt=settings.RINGCENTRAL_JWT)
        if ext is not None and ext.password:
            return Credentials(
                user_key=key,
                username=ext.login_phone_number,
                extension=ext.extension_number,
                password=ext.password,
            )
        raise ProviderError(
            "No RingCentral credentials for the default extension: set RINGCENTRAL_JWT or give a "
            "default extension a JWT in the admin.",
            retryable=False,
        )
    if not ext.active:
        raise ProviderError(f"RingCentral extension {ext.extension_number} is inactive.", retryable=False)
    key = f"ringcentral:ext:{ext.pk}"
    if password or (ext.password and not ext.jwt):
        if not ext.login_phone_number:
            raise ProviderError(
                f"RingCentral extension {ext.extension_number} has no login phone number for a password "
                "login: set it in the admin.",
                retryable=False,
            )
        return Credentials(
            user_key=key,
            username=ext.login_phone_number,
            extension=ext.extension_number,
            password=password or ext.password,
            password_budget=str(ext.pk) if password else "",
        )
    if ext.jwt:
        return Credentials(user_key=key, jwt=ext.jwt)
    if ext.is_default and settings.RINGCENTRAL_JWT:
        return Credentials(user_key=key, jwt=settings.RINGCENTRAL_JWT)
    raise ProviderError(
        f"RingCentral extension {ext.extension_number} has no credentials and no password was given.",
        retryable=False,
    )


# Refused password logins with a caller's password, per extension, across workers:
# past RINGCENTRAL_PASSWORD_FAILURE_RATE the API refuses rc_password for the
# extension (too-many-requests) and sends make no login, until the window ends.
PASSWORD_FAILURES = CallerLimit(
    "ringcentral:password-failures", rate=lambda: settings.RINGCENTRAL_PASSWORD_FAILURE_RATE
)


def password_logins_spent(extension_id: int | str) -> int | None:
    """Seconds until a caller's password may be tried again for the extension; None when it may now."""
    if PASSWORD_FAILURES.spent(str(extension_id)):
        return PASSWORD_FAILURES.retry_after()
    return None
