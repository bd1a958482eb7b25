"""Params fields more than one route uses."""

import re

from rest_framework import serializers

# "+1 212-555-2368", "+12125552368", "+1 212 555 2368" are valid (the contract's examples);
# "212 555 2368" and "1 212 555 2368" are not: the + and the country code are required.
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PHONE_SEPARATORS = re.compile(r"[\s\-().]")


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
