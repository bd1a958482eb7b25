"""The RingCentral provider's records: the company extensions and their credentials."""

from django.db import models

from planocore.crypto import EncryptedTextField


class RingCentralExtension(models.Model):
    """A company extension whose RingCentral account can post, send SMS or list teams.

    Credentials are a JWT (preferred; the default extension logs in with it) or a
    password (the password grant with `login_phone_number` and `extension_number`),
    both kept encrypted and never shown back.
    """

    extension_number = models.CharField(
        max_length=20, unique=True, help_text="Short extension number, e.g. 101."
    )
    login_phone_number = models.CharField(
        max_length=20,
        blank=True,
        help_text="Phone number used as the username of a password login (E.164, e.g. +16505550100).",
    )
    display_name = models.CharField(max_length=200, blank=True)
    jwt = EncryptedTextField(blank=True, help_text="JWT credential of this extension (stored encrypted).")
    password = EncryptedTextField(blank=True, help_text="Password of this extension (stored encrypted).")
    is_default = models.BooleanField(
        default=False,
        help_text="Default extensions post when no rc_extension is given and their teams are imported.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["extension_number"]
        verbose_name = "RingCentral extension"

    def __str__(self) -> str:
        name = f" {self.display_name}" if self.display_name else ""
        return f"ext. {self.extension_number}{name}"

    @property
    def has_jwt(self) -> bool:
        return bool(self.jwt)

    @property
    def has_password(self) -> bool:
        return bool(self.password)
