"""The route registry: every API route, grouped in services, that staff can take out of service."""

from django.db import models


class ApiService(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    deployed = models.BooleanField(
        default=True, help_text="Untick to take every route of this service out of service."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = "API service"

    def __str__(self) -> str:
        return self.name


class Route(models.Model):
    service = models.ForeignKey(ApiService, on_delete=models.CASCADE, related_name="routes")
    slug = models.SlugField(max_length=100, unique=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    name = models.CharField(max_length=200)
    purpose = models.TextField(blank=True)
    deployed = models.BooleanField(
        default=True, help_text="Untick to answer route-not-found without running the view."
    )
    present_in_code = models.BooleanField(
        default=True, editable=False, help_text="False when the code no longer has this route."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service__slug", "path", "method"]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"
