"""Applications, their tokens, API sessions and the roles that carry permissions."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils import timezone


class Application(models.Model):
    """An internal application that calls the API (planoauth, planoorder, planox2, ...)."""

    class Role(models.TextChoices):
        CLIENT = "client", "Client"
        EMPLOYEE = "employee", "Employee"
        LIAISON = "liaison", "Liaison"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    role = models.CharField(
        max_length=20,
        choices=Role.choices,
        default=Role.EMPLOYEE,
        help_text="The role whose permissions apply when a user's request names this application.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class ApplicationToken(models.Model):
    """A token an application authenticates with; stored only as a hash."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=12, editable=False, help_text="The first characters, to recognise a token."
    )
    permissions = models.ManyToManyField(Permission, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.application.slug}: {self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiSession(models.Model):
    """A user's signed-in API session (POST /api/v1/sessions)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_sessions")
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.SET_NULL)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    remember_me = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API session"

    def __str__(self) -> str:
        return f"{self.user} ({self.prefix}…)"

    def is_expired(self, now=None) -> bool:
        """Older than 7 days or unused for 72 hours, unless remember_me."""
        if self.revoked_at is not None:
            return True
        if self.remember_me:
            return False
        now = now or timezone.now()
        max_age = timedelta(days=settings.API_SESSION_MAX_AGE_DAYS)
        idle = timedelta(hours=settings.API_SESSION_IDLE_HOURS)
        return now - self.created_at > max_age or now - self.last_used_at > idle


class Role(models.Model):
    """A user's role; its groups carry the Django permissions that apply through it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    groups = models.ManyToManyField(Group, blank=True, related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self.user)


class Client(Role):
    """A client's role, made by staff or by the user (POST /api/v1/users/client_register)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client")
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=16, blank=True, help_text="E.164: + and the country code.")
    company = models.CharField(max_length=200, blank=True)


class Employee(Role):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="employee")


class Liaison(Role):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="liaison")


ROLE_MODELS = {
    Application.Role.CLIENT: Client,
    Application.Role.EMPLOYEE: Employee,
    Application.Role.LIAISON: Liaison,
}
