"""Params fields more than one route uses."""

import re
from datetime import UTC, datetime

from anymail.exceptions import AnymailInvalidAddress
from anymail.utils import parse_address_list
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from rest_framework import serializers

# "+1 212-555-2368", "+12125552368", "+1 212 555 2368" are valid (the contract's examples);
# "212 555 2368" and "1 212 555 2368" are not: the + and the country code are required.
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PHONE_SEPARATORS = re.compile(r"[\s\-().]")


# The one format of a datetime in API responses and messages (REST_FRAMEWORK's DATETIME_FORMAT).
DATETIME_OUTPUT = serializers.DateTimeField(default_timezone=UTC)


def api_datetime(value: datetime | None) -> str | None:
    """A datetime as the API shows it everywhere: UTC, six fractional digits, `Z`
    ("2026-12-07T06:05:45.905344Z"); None stays None."""
    return DATETIME_OUTPUT.to_representation(value) if value is not None else None


# Every character Python (and so an email library) may take as a line break.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def one_line(value: str) -> str:
    """A value that becomes a header (an email's subject, from, to, cc, bcc): no line break in it.

    A CR or LF would start a header of the caller's (`Bcc: …`) or a second recipient.
    """
    if any(ch in LINE_BREAKS for ch in value or ""):
        raise serializers.ValidationError(
            "becomes an email header, so it must hold no line break (CR, LF or another); send it on one line."
        )
    return value


def sent_addresses(part: str) -> list[str]:
    """Every address `part` names, lowercased, read as django-anymail reads it when it sends
    ([] when it cannot read them).

    `email.utils.parseaddr` reads "ann@x.com <bob@y.com>" as ann@x.com alone, while the
    sender reads two addresses and mails both; checks (a client's own address, consent)
    must read what is sent.
    """
    try:
        return [address.addr_spec.lower() for address in parse_address_list([part])]
    except AnymailInvalidAddress:
        return []


def email_address(part: str) -> str:
    """The one address `part` names ("ann@x.com" or "Ann <ann@x.com>"), lowercased, as the
    sender reads it (sent_addresses): ValueError unless that is exactly one valid address."""
    addresses = sent_addresses(part)
    if len(addresses) != 1:
        raise ValueError(part)
    try:
        validate_email(addresses[0])
    except ValidationError:
        raise ValueError(part) from None
    return addresses[0]


def normalize_phone_number(value: str) -> str:
    """Return the number in E.164 (+ and digits only), or raise a ValidationError saying what to send."""
    compact = PHONE_SEPARATORS.sub("", value or "")
    if not value.strip().startswith("+") or not E164.match(compact):
        raise serializers.ValidationError(
            "Give the number with + and the country code, e.g. +12125552368 or +1 212-555-2368."
        )
    return compact


class PhoneNumberField(serializers.CharField):
    """A phone number param, answered in E.164 (`+12125552368`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return normalize_phone_number(super().to_internal_value(data))
