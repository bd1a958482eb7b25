"""Reads of the RingCentral provider's records."""

from planocore.providers.ringcentral.models import RingCentralExtension


def ringcentral_extension_default() -> RingCentralExtension | None:
    """The default extension (the sender when a send names none), or None."""
    return RingCentralExtension.objects.filter(is_default=True, active=True).order_by("pk").first()


def ringcentral_extension_active(extension_number: str) -> RingCentralExtension | None:
    """The active extension with this number, or None."""
    return RingCentralExtension.objects.filter(extension_number=extension_number, active=True).first()
