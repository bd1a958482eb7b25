"""Admin of the RingCentral extensions: credentials can be set or cleared, never read back."""

from django import forms
from django.contrib import admin
from unfold.admin import ModelAdmin

from planocore.providers.ringcentral.models import RingCentralExtension


class RingCentralExtensionForm(forms.ModelForm):
    """Credentials can be set or cleared, never read back."""

    new_jwt = forms.CharField(
        label="JWT",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Set a new JWT credential; leave empty to keep the current one.",
    )
    clear_jwt = forms.BooleanField(label="Remove the JWT", required=False)
    new_password = forms.CharField(
        label="Password",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Set a new password; leave empty to keep the current one.",
    )
    clear_password = forms.BooleanField(label="Remove the password", required=False)

    class Meta:
        model = RingCentralExtension
        fields = ["extension_number", "login_phone_number", "display_name", "is_default", "active"]

    def save(self, commit=True):
        extension = super().save(commit=False)
        data = self.cleaned_data
        if data.get("clear_jwt"):
            extension.jwt = ""
        if data.get("new_jwt"):
            extension.jwt = data["new_jwt"].strip()
        if data.get("clear_password"):
            extension.password = ""
        if data.get("new_password"):
            extension.password = data["new_password"]
        if commit:
            extension.save()
        return extension


@admin.register(RingCentralExtension)
class RingCentralExtensionAdmin(ModelAdmin):
    form = RingCentralExtensionForm
    list_display = [
        "extension_number",
        "display_name",
        "login_phone_number",
        "is_default",
        "active",
        "has_jwt",
        "has_password",
    ]
    list_filter = ["is_default", "active"]
    search_fields = ["extension_number", "display_name", "login_phone_number"]
    readonly_fields = ["credentials", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {"fields": ["extension_number", "login_phone_number", "display_name", "is_default", "active"]},
        ),
        (
            "Credentials (write-only)",
            {"fields": ["credentials", "new_jwt", "clear_jwt", "new_password", "clear_password"]},
        ),
        ("Audit", {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(boolean=True, description="JWT")
    def has_jwt(self, obj):
        return obj.has_jwt

    @admin.display(boolean=True, description="Password")
    def has_password(self, obj):
        return obj.has_password

    @admin.display(description="Stored")
    def credentials(self, obj):
        stored = [
            name for name, present in (("a JWT", obj.has_jwt), ("a password", obj.has_password)) if present
        ]
        return " and ".join(stored) if stored else "none"
