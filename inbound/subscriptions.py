"""RingCentral message-store subscriptions: create, renew or adopt one per default extension.

`ensure_subscriptions` is idempotent: a subscription PlanoCore made (kept in
WebhookSubscription) is read and renewed when it expires within
RINGCENTRAL_WEBHOOK_RENEW_BEFORE_SECONDS, made again when RingCentral lost or
blacklisted it or it points elsewhere; one RingCentral already holds for our
address is adopted rather than doubled. With `dry_run` only reads are made.
`manage.py subscribe_ringcentral_webhooks` and the daily beat task call it.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from inbound.models import WebhookSubscription
from planocore.providers.base import ProviderError
from planocore.providers.ringcentral.credentials import credentials_for
from planocore.providers.ringcentral.models import RingCentralExtension
from planocore.providers.ringcentral.sessions import session_for

SUBSCRIPTIONS_PATH = "/restapi/v1.0/subscription"
EVENT_FILTER = "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"


@dataclass
class SubscriptionResult:
    extension: str  # "ext. 101" or "default"
    action: str  # created, renewed, adopted, recreated, unchanged (with dry_run: what would be done)
    subscription_id: str = ""
    expires_at: str = ""


def _json(response) -> dict[str, Any]:
    try:
        body = response.response().json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _configured() -> tuple[str, str]:
    address = settings.RINGCENTRAL_WEBHOOK_ADDRESS
    token = settings.RINGCENTRAL_WEBHOOK_VERIFICATION_TOKEN
    if not address or not token:
        raise ImproperlyConfigured(
            "Set RINGCENTRAL_WEBHOOK_ADDRESS (the public URL of /webhooks/ringcentral) and "
            "RINGCENTRAL_WEBHOOK_VERIFICATION_TOKEN before subscribing."
        )
    return address, token


def default_extensions() -> list[RingCentralExtension | None]:
    """The active default extensions; [None] (settings.RINGCENTRAL_JWT's user) when there is none."""
    return list(RingCentralExtension.objects.filter(is_default=True, active=True).order_by("pk")) or [None]


def ensure_subscriptions(*, dry_run: bool = False) -> list[SubscriptionResult]:
    """Make sure each default extension has a live subscription to our webhook (see the module)."""
    address, token = _configured()
    return [
        _ensure(extension, address=address, token=token, dry_run=dry_run)
        for extension in default_extensions()
    ]


def _ensure(extension, *, address: str, token: str, dry_run: bool) -> SubscriptionResult:
    session = session_for(credentials_for(extension_id=extension.pk if extension else None))
    name = str(extension) if extension else "default"
    local = WebhookSubscription.objects.filter(extension=extension).first()
    remote = None
    if local is not None:
        try:
            remote = _json(
                session.request(
                    "GET", f"{SUBSCRIPTIONS_PATH}/{local.subscription_id}", doing="the subscription"
                )
            )
        except ProviderError as exc:
            if exc.http_status != 404:
                raise
    else:
        listed = _json(session.request("GET", SUBSCRIPTIONS_PATH, doing="the subscription list"))
        remote = next(
            (
                record
                for record in listed.get("records") or []
                if isinstance(record, dict)
                and (record.get("deliveryMode") or {}).get("address") == address
                and EVENT_FILTER in (record.get("eventFilters") or [])
                and record.get("status") == "Active"
            ),
            None,
        )
    usable = (
        remote
        and remote.get("status") == "Active"
        and (remote.get("deliveryMode") or {}).get("address") == address
    )
    if not usable:
        action = "recreated" if local is not None else "created"
        if dry_run:
            return SubscriptionResult(name, action)
        if local is not None and remote:
            try:
                session.request(
                    "DELETE", f"{SUBSCRIPTIONS_PATH}/{local.subscription_id}", doing="the old subscription"
                )
            except ProviderError as exc:
                if exc.http_status != 404:
                    raise
        remote = _json(
            session.request(
                "POST",
                SUBSCRIPTIONS_PATH,
                body={
                    "eventFilters": [EVENT_FILTER],
                    "deliveryMode": {
                        "transportType": "WebHook",
                        "address": address,
                        "verificationToken": token,
                    },
                    "expiresIn": settings.RINGCENTRAL_WEBHOOK_EXPIRES_IN,
                },
                doing="the webhook subscription",
            )
        )
        return _store(extension, local, remote, address, name, action)
    expires_at = parse_datetime(str(remote.get("expirationTime") or ""))
    renew_by = timezone.now() + timedelta(seconds=settings.RINGCENTRAL_WEBHOOK_RENEW_BEFORE_SECONDS)
    action = "adopted" if local is None else "unchanged"
    if expires_at is None or expires_at <= renew_by:
        action = "renewed"
        if dry_run:
            return SubscriptionResult(name, action, remote.get("id", ""), str(expires_at or ""))
        remote = _json(
            session.request(
                "POST", f"{SUBSCRIPTIONS_PATH}/{remote['id']}/renew", doing="the subscription renewal"
            )
        )
    elif dry_run:
        return SubscriptionResult(name, action, remote.get("id", ""), str(expires_at))
    return _store(extension, local, remote, address, name, action)


def _store(extension, local, remote: dict, address: str, name: str, action: str) -> SubscriptionResult:
    if not remote.get("id"):
        raise ProviderError("RingCentral's subscription answer holds no id.", retryable=False)
    expires_at = parse_datetime(str(remote.get("expirationTime") or ""))
    local = local or WebhookSubscription(extension=extension)
    local.subscription_id = str(remote["id"])[:64]
    local.address = address
    local.status = str(remote.get("status") or "")[:20]
    local.expires_at = expires_at
    local.renewed_at = timezone.now()
    local.save()
    return SubscriptionResult(name, action, local.subscription_id, str(expires_at or ""))
