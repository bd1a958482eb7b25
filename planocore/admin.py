"""Admin of the platform: applications and their tokens, users with roles, API sessions, the route registry.

Tokens are made here from an Application (button or action) and shown once on
the page that answers that POST: never stored in clear, never put in a message
cookie, never shown again.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import ModelAdmin, StackedInline, TabularInline
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from planocore.accounts.models import ApiSession, Application, ApplicationToken, Client, Employee, Liaison
from planocore.accounts.services import (
    api_sessions_revoke,
    application_token_create,
    application_tokens_revoke,
)
from planocore.admin_display import badge, shortened
from planocore.routes.models import ApiService, Route
from planocore.routes.services import routes_set_deployed, services_set_deployed

User = get_user_model()


class _ShownOnce(str):
    """A clear token that renders as itself but whose repr is masked.

    Django's template engine logs (at DEBUG) every failed variable lookup with a
    dump of the whole context; this keeps the token out of that log line.
    """

    def __repr__(self) -> str:
        return f"'{self[:10]}…'"


def _tokens_created_response(request, created):
    """The one page that shows new tokens in clear; not cached by the browser."""
    created = [(application, token, _ShownOnce(clear)) for application, token, clear in created]
    response = TemplateResponse(
        request,
        "admin/planocore/application/tokens_created.html",
        {
            **admin.site.each_context(request),
            "title": "New application tokens",
            "created": created,
            "opts": Application._meta,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


class ApplicationTokenInline(TabularInline):
    model = ApplicationToken
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["prefix", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # made with the "Make a token" button, which shows the token once


@admin.register(Application)
class ApplicationAdmin(ModelAdmin):
    list_display = ["slug", "name", "role", "created_at"]
    search_fields = ["slug", "name"]
    list_filter = ["role"]
    readonly_fields = ["created_at"]
    inlines = [ApplicationTokenInline]
    actions = ["make_token", "revoke_tokens"]
    change_form_template = "admin/planocore/application/change_form.html"

    def get_urls(self):
        return [
            path(
                "<int:pk>/make-token/",
                self.admin_site.admin_view(self.make_token_view),
                name="planocore_application_make_token",
            ),
            *super().get_urls(),
        ]

    def _can_make_tokens(self, request) -> bool:
        return request.user.has_perm("planocore.add_applicationtoken")

    def make_token_view(self, request, pk):
        if request.method != "POST" or not self._can_make_tokens(request):
            raise PermissionDenied
        application = get_object_or_404(Application, pk=pk)
        token, clear = application_token_create(
            application=application, created_by=request.user, name="admin"
        )
        return _tokens_created_response(request, [(application, token, clear)])

    @admin.action(description="Make a token (every API permission; shown once)")
    def make_token(self, request, queryset):
        if not self._can_make_tokens(request):
            raise PermissionDenied
        created = []
        for application in queryset:
            token, clear = application_token_create(
                application=application, created_by=request.user, name="admin"
            )
            created.append((application, token, clear))
        return _tokens_created_response(request, created)

    @admin.action(description="Revoke every token of the selected applications")
    def revoke_tokens(self, request, queryset):
        count = application_tokens_revoke(tokens=ApplicationToken.objects.filter(application__in=queryset))
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)


@admin.register(ApplicationToken)
class ApplicationTokenAdmin(ModelAdmin):
    list_display = ["prefix_display", "application", "name", "created_at", "last_used_at", "active"]
    list_filter = ["application", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["application"]
    search_fields = ["prefix", "name", "application__slug"]
    date_hierarchy = "created_at"
    fields = [
        "application",
        "name",
        "prefix",
        "permissions",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = ["application", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    filter_horizontal = ["permissions"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # made from an Application, so the clear token can be shown once

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "permissions":
            kwargs["queryset"] = db_field.remote_field.model.objects.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="Token", ordering="prefix")
    def prefix_display(self, obj):
        return f"{obj.prefix}…"

    @admin.display(boolean=True, description="Active")
    def active(self, obj):
        return obj.revoked_at is None

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        count = application_tokens_revoke(tokens=queryset)
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)


class RoleInline(StackedInline):
    extra = 0
    max_num = 1
    filter_horizontal = ["groups"]
    fields = ["active", "groups", "created_at"]
    readonly_fields = ["created_at"]


class ClientInline(RoleInline):
    model = Client


class EmployeeInline(RoleInline):
    model = Employee


class LiaisonInline(RoleInline):
    model = Liaison


def role_active_filter(role: str, label: str) -> type[admin.SimpleListFilter]:
    """A Users filter on one role's `active`, titled by its role (not four filters all called "active")."""

    class RoleActiveFilter(admin.SimpleListFilter):
        title = f"{label} role"
        parameter_name = f"{role}__active__exact"

        def lookups(self, request, model_admin):
            return [("1", "Active"), ("0", "Inactive")]

        def queryset(self, request, queryset):
            if self.value() in ("0", "1"):
                return queryset.filter(**{f"{role}__active": self.value() == "1"})
            return queryset

    RoleActiveFilter.__name__ = f"{role.capitalize()}ActiveFilter"
    return RoleActiveFilter


class AccountActiveFilter(admin.SimpleListFilter):
    title = "account active"
    parameter_name = "is_active__exact"

    def lookups(self, request, model_admin):
        return [("1", "Yes"), ("0", "No (cannot sign in)")]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(is_active=self.value() == "1")
        return queryset


for model in (User, Group):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin, ModelAdmin):
    """Django's group admin in the admin's theme."""


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ModelAdmin):
    """Django's user admin plus the user's roles (Client, Employee, Liaison) inline, in the admin's theme."""

    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    inlines = [ClientInline, EmployeeInline, LiaisonInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "roles"]
    list_select_related = ["client", "employee", "liaison"]
    list_filter = [
        "is_staff",
        "is_superuser",
        AccountActiveFilter,
        "groups",
        role_active_filter("client", "Client"),
        role_active_filter("employee", "Employee"),
        role_active_filter("liaison", "Liaison"),
    ]

    @admin.display(description="Roles")
    def roles(self, obj):
        names = [
            label
            for attr, label in (("client", "Client"), ("employee", "Employee"), ("liaison", "Liaison"))
            if getattr(obj, attr, None) is not None
        ]
        return ", ".join(names) or "—"


@admin.register(ApiSession)
class ApiSessionAdmin(ModelAdmin):
    list_display = [
        "prefix_display",
        "user",
        "application",
        "remember_me",
        "created_at",
        "last_used_at",
        "state",
    ]
    list_filter = ["application", "remember_me", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "application"]
    search_fields = ["prefix", "user__email", "user__username"]
    date_hierarchy = "created_at"
    raw_id_fields = ["user"]
    fields = [
        "user",
        "application",
        "prefix",
        "remember_me",
        "created_at",
        "last_used_at",
        "revoked_at",
        "ip_address",
        "user_agent",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # sessions are opened by signing in (POST /api/v1/sessions)

    @admin.display(description="Session", ordering="prefix")
    def prefix_display(self, obj):
        return f"{obj.prefix}…"

    @admin.display(description="State")
    def state(self, obj):
        if obj.revoked_at is not None:
            return badge("revoked", "danger")
        return badge("expired") if obj.is_expired(timezone.now()) else badge("active", "success")

    @admin.action(description="Revoke the selected sessions (sign them out)")
    def revoke(self, request, queryset):
        count = api_sessions_revoke(sessions=queryset)
        self.message_user(request, f"{count} session(s) revoked.", messages.SUCCESS)


class RouteInline(TabularInline):
    model = Route
    extra = 0
    can_delete = False
    fields = ["method", "path", "name", "deployed", "present_in_code"]
    readonly_fields = ["method", "path", "name", "present_in_code"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # routes come from the code (sync_routes)


@admin.register(ApiService)
class ApiServiceAdmin(ModelAdmin):
    list_display = ["name", "slug", "deployed", "updated_at"]
    list_editable = ["deployed"]
    list_filter = ["deployed"]
    search_fields = ["slug", "name"]
    readonly_fields = ["slug", "updated_at"]
    inlines = [RouteInline]
    actions = ["take_out_of_service", "put_back_in_service"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Take out of service (service-not-found)")
    def take_out_of_service(self, request, queryset):
        count = services_set_deployed(services=queryset, deployed=False)
        self.message_user(request, f"{count} service(s) taken out of service.", messages.SUCCESS)

    @admin.action(description="Put back in service")
    def put_back_in_service(self, request, queryset):
        count = services_set_deployed(services=queryset, deployed=True)
        self.message_user(request, f"{count} service(s) put back in service.", messages.SUCCESS)


@admin.register(Route)
class RouteAdmin(ModelAdmin):
    # Fits a 1366 px window; whether the code still has the route is a filter and on its page.
    list_display = ["slug", "method", "path_short", "service_short", "deployed", "docs"]
    list_editable = ["deployed"]
    list_filter = ["deployed", "service", "method", "present_in_code"]
    list_select_related = ["service"]
    search_fields = ["slug", "path", "name"]
    fields = [
        "slug",
        "service",
        "method",
        "path",
        "name",
        "purpose",
        "deployed",
        "present_in_code",
        "updated_at",
    ]
    readonly_fields = [name for name in fields if name != "deployed"]
    actions = ["take_out_of_service", "put_back_in_service"]

    def has_add_permission(self, request):
        return False  # routes come from the code (sync_routes)

    @admin.display(description="Path", ordering="path")
    def path_short(self, obj):
        return shortened(obj.path, 44)

    @admin.display(description="Service", ordering="service__name")
    def service_short(self, obj):
        return shortened(obj.service.name, 24)

    @admin.display(description="Docs")
    def docs(self, obj):
        return format_html('<a href="{}">page</a>', reverse("documentation:route", args=[obj.slug]))

    @admin.action(description="Take out of service (route-not-found)")
    def take_out_of_service(self, request, queryset):
        count = routes_set_deployed(routes=queryset, deployed=False)
        self.message_user(request, f"{count} route(s) taken out of service.", messages.SUCCESS)

    @admin.action(description="Put back in service")
    def put_back_in_service(self, request, queryset):
        count = routes_set_deployed(routes=queryset, deployed=True)
        self.message_user(request, f"{count} route(s) put back in service.", messages.SUCCESS)
