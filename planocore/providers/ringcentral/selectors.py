"""Reads of the RingCentral provider's records."""

from planocore.providers.ringcentral.models import RingCentralExtension


def ringcentral_extension_active(extension_number: str) -> RingCentralExtension | None:
    """The active extension with this number, or None."""
    return RingCentralExtension.objects.filter(extension_number=extension_number, active=True).first()
