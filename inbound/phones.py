"""Phone numbers parsed and normalised with `phonenumbers` (libphonenumber), not a regular expression."""

import phonenumbers
from django.conf import settings


def normalize_phone(value: str, *, region: str | None = None) -> str | None:
    """The number in E.164 (`+14155550123`), or None when it is no possible phone number.

    A number without `+` is read as a national number of `region`
    (settings.PHONE_DEFAULT_REGION by default).
    """
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    try:
        number = phonenumbers.parse(value, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
