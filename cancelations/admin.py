"""Admin for cancelations: every save and action goes through the services (history, rules, notices)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminTextareaWidget

from cancelations import services
from cancelations.models import Cancelation, CancelationChange, CancelationNoticeProblem, CancelationReason
from notifications.models import Notification
from planocore.admin_display import (
    CappedCountPaginator,
    ProblemFilter,
    ReadOnlyRecordMixin,
    ask_for_note,
    back_to,
    badge,
    short_datetime,
    shortened,
)
from planocore.api.exceptions import in_admin_words

# A rule's param, as the form field that shows its error.
PARAM_TO_FIELD = {"reason_id": "reason", "reason_slug": "reason"}


@admin.register(CancelationReason)
class CancelationReasonAdmin(ModelAdmin):
    list_display = ["slug", "text", "active", "order"]
    list_editable = ["active", "order"]
    list_filter = ["active"]
    search_fields = ["slug", "text"]
    readonly_fields = ["created_at", "updated_at"]
    prepopulated_fields = {"slug": ["text"]}


class CancelableTypeFilter(admin.SimpleListFilter):
    """The types from settings, so the filter needs no scan of the table."""

    title = "cancelable type"
    parameter_name = "cancelable_type"

    def lookups(self, request, model_admin):
        return [(name, name) for name in settings.CANCELABLE_TYPES]

    def queryset(self, request, queryset):
        return queryset.filter(cancelable_type=self.value()) if self.value() else queryset


class CancelationChangeInline(TabularInline):
    """The history, read-only: who changed what, through what, when."""

    model = CancelationChange
    fields = ["changed_at", "action", "changed_by", "changed_in", "what_changed"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["changed_at", "id"]
    verbose_name = "change"
    verbose_name_plural = "history"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="what changed")
    def what_changed(self, change: CancelationChange):
        return format_html_join(
            "",
            "<div><strong>{}</strong>: {} &rarr; {}</div>",
            (
                (name, "—" if old in (None, "") else old, "—" if new in (None, "") else new)
                for name, (old, new) in change.changes.items()
            ),
        )


class CancelationAdminForm(forms.ModelForm):
    """Checks the rules with the same code as the API, and shows a broken rule next to its field."""

    cancelable_type = forms.ChoiceField(choices=[])
    actor: services.Actor = services.Actor(by="admin", via=services.ADMIN)

    class Meta:
        model = Cancelation
        # The fields a caller may set (services.FIELDS), but canceled_by/in and reinstated_by:
        # the service fills those in (the staff member, "admin").
        fields = [
            name for name in services.FIELDS if name not in ("canceled_by", "canceled_in", "reinstated_by")
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cancelable_type"].choices = [(name, name) for name in settings.CANCELABLE_TYPES]
        self.service_data: dict = {}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        names = [name for name in services.FIELDS if name in self.fields]
        existing = self.instance if self.instance.pk else None
        if existing is None:
            data = {name: cleaned.get(name) for name in names if cleaned.get(name) not in (None, "")}
            data["active"] = cleaned.get("active", True)
        else:
            data = {name: cleaned.get(name) for name in names if name in self.changed_data}
        try:
            plan = services.cancelation_plan(cancelation=existing, data=data, actor=self.actor)
        except services.CancelationRuleError as exc:
            self._add_rule_error(exc)
            return cleaned
        if clash := services.active_clash(values=plan.values, cancelation=existing):
            self._add_rule_error(clash)
            return cleaned
        self.service_data = data
        # Show the values the service will write (defaults filled in) to the model validation.
        for name in names:
            cleaned[name] = plan.values[name]
        return cleaned

    def _add_rule_error(self, exc: services.CancelationRuleError) -> None:
        """A broken rule beside its field, in the admin's words, with a link to the record it clashes with."""
        field = PARAM_TO_FIELD.get(exc.param, exc.param)
        labels = {name: form_field.label for name, form_field in self.fields.items()}
        labels.update({param: labels[name] for param, name in PARAM_TO_FIELD.items()})
        message = in_admin_words(exc.text, labels)
        if exc.clashing_pk is not None:
            url = reverse("admin:cancelations_cancelation_change", args=[exc.clashing_pk])
            message = format_html(
                '{} <a class="clashing-record underline" href="{}">Open cancelation #{}</a>',
                message,
                url,
                exc.clashing_pk,
            )
        self.add_error(field if field in self.fields else None, message)


class NoteForm(forms.Form):
    note = forms.CharField(widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}), required=False)

    def __init__(self, *args, note_label: str = "Note", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = note_label


class ReinstateNoteForm(BaseDialogForm):
    """The note asked by the page's and the row's Reinstate (django-unfold's dialog)."""

    note = forms.CharField(
        label="Note (kept as the reinstated note)", widget=UnfoldAdminTextareaWidget, required=False
    )


class CancelNoteForm(BaseDialogForm):
    """The note asked by the page's and the row's Cancel again."""

    note = forms.CharField(
        label="Note (kept as the reason note)", widget=UnfoldAdminTextareaWidget, required=False
    )


@admin.register(Cancelation)
class CancelationAdmin(ModelAdmin):
    form = CancelationAdminForm
    # Fits a 1366 px window; when it was reinstated is a filter and on each cancelation's page.
    list_display = [
        "id",
        "cancelable",
        "key_short",
        "reason_short",
        "state",
        "canceled",
        "canceled_by_short",
    ]
    list_display_links = ["id", "cancelable"]
    list_filter = [CancelableTypeFilter, "active", "reason", "canceled_at", "reinstated_at"]
    search_fields = ["key", "=cancelable_id", "reason_note", "reinstated_note"]
    search_help_text = (
        "A key or canceled record's id, a cancelable type (Order), or part of a note "
        "(the reason's or the reinstatement's)."
    )
    date_hierarchy = "canceled_at"
    list_select_related = ["reason"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    readonly_fields = [
        "canceled_by",
        "canceled_in",
        "reinstated_by",
        "created_at",
        "updated_at",
        "notices_sent",
    ]
    fieldsets = [
        (None, {"fields": ["cancelable_type", "cancelable_id", "key", "active"]}),
        ("Reason", {"fields": ["reason", "reason_text", "reason_note"]}),
        ("Canceled", {"fields": ["canceled_at", "canceled_by", "canceled_in"]}),
        ("Reinstated", {"fields": ["reinstated_at", "reinstated_by", "reinstated_note"]}),
        ("Notices and timestamps", {"fields": ["notices_sent", "created_at", "updated_at"]}),
    ]
    inlines = [CancelationChangeInline]
    actions = ["cancel_selected", "reinstate_selected"]
    actions_detail = ["reinstate_one", "cancel_again_one"]
    actions_row = ["reinstate_one", "cancel_again_one"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = services.Actor.for_admin(request.user)
        return form

    def save_model(self, request, obj, form, change):
        """Save through the service, so the admin's edits follow the rules and are kept in the history."""
        actor = services.Actor.for_admin(request.user)
        started = timezone.now()
        if change:
            original = Cancelation.objects.get(pk=obj.pk)
            saved = services.cancelation_update(cancelation=original, data=form.service_data, actor=actor)
        else:
            saved = services.cancelation_create(data=form.service_data, actor=actor)
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()
        problems = saved.notice_problems.filter(created_at__gte=started)
        for problem in problems:
            messages.warning(
                request,
                f"The {problem.notification_type or 'cancelation'} notice was not made: {problem.problem}",
            )

    @admin.display(description="notices sent")
    def notices_sent(self, obj: Cancelation):
        if obj.pk is None:
            return "—"
        notices = list(
            Notification.objects.filter(notifyable_type="Cancelation", notifyable_id=obj.pk).order_by("id")
        )
        problems = self.notice_problems_html(obj)
        if not notices:
            return problems or "None yet."
        return format_html("{}{}", problems, self.notices_html(notices, obj))

    def notice_problems_html(self, obj: Cancelation):
        """The notices that could not be made, in red, with a link to the list of all such problems."""
        problems = list(obj.notice_problems.order_by("created_at", "id"))
        if not problems:
            return ""
        items = format_html_join(
            "",
            "<li><strong>{} notice ({}) not made:</strong> {}</li>",
            (
                (p.notification_type.capitalize() if p.notification_type else "No", p.transition, p.problem)
                for p in problems
            ),
        )
        changelist = reverse("admin:cancelations_cancelationnoticeproblem_changelist")
        return format_html(
            '<div class="errornote notice-problems"><ul>{}</ul><a href="{}?q={}">'
            "Notice problems of this cancelation</a></div>",
            items,
            changelist,
            obj.pk,
        )

    def notices_html(self, notices, obj: Cancelation):
        rows = []
        for notice in notices:
            label = f"#{notice.pk} {notice.notification_type} {notice.key}".strip()
            try:
                url = reverse("admin:notifications_notification_change", args=[notice.pk])
            except NoReverseMatch:
                rows.append((label, ""))
                continue
            rows.append((label, url))
        items = format_html_join(
            "",
            "<li>{}</li>",
            ((format_html('<a href="{}">{}</a>', url, label) if url else label,) for label, url in rows),
        )
        try:
            changelist = (
                reverse("admin:notifications_notification_changelist")
                + "?"
                + urlencode({"notifyable_type": "Cancelation", "notifyable_id": obj.pk})
            )
        except NoReverseMatch:
            return format_html("<ul>{}</ul>", items)
        return format_html('<ul>{}</ul><a href="{}">All notices of this cancelation</a>', items, changelist)

    # --- actions ---------------------------------------------------------------------

    @admin.action(description="Cancel again the selected (reinstated) cancelations…", permissions=["change"])
    def cancel_selected(self, request, queryset):
        return self._note_action(request, queryset, "cancel_selected")

    @admin.action(description="Reinstate the selected (active) cancelations…", permissions=["change"])
    def reinstate_selected(self, request, queryset):
        return self._note_action(request, queryset, "reinstate_selected")

    # action -> (title, note label, which cancelations it applies to, why others are skipped, service, done)
    NOTE_ACTIONS = {
        "cancel_selected": (
            "Cancel again",
            "Note (kept as the reason note)",
            {"active": False},
            "still active (only a reinstated cancelation can be canceled again)",
            "cancelation_cancel",
            "canceled again",
        ),
        "reinstate_selected": (
            "Reinstate",
            "Note (kept as the reinstated note)",
            {"active": True},
            "already reinstated",
            "cancelation_reinstate",
            "reinstated",
        ),
    }

    def _run_note_action(self, request, queryset, action: str, note: str) -> None:
        """Run the service on each eligible selected cancelation; say how each ended and what was skipped."""
        _, _, eligible, why_skipped, service, done = self.NOTE_ACTIONS[action]
        skipped = list(queryset.exclude(**eligible).order_by("pk").values_list("pk", flat=True)[:20])
        actor = services.Actor.for_admin(request.user)
        succeeded, failed = 0, []
        for cancelation in queryset.filter(**eligible):
            try:
                getattr(services, service)(cancelation=cancelation, actor=actor, note=note)
                succeeded += 1
            except services.CancelationRuleError as exc:
                failed.append(f"#{cancelation.pk}: {exc.param}: {exc.text}")
        if succeeded:
            self.message_user(request, f"{succeeded} cancelation(s) {done}.", messages.SUCCESS)
        for failure in failed:
            self.message_user(request, failure, messages.ERROR)
        if skipped:
            which = ", ".join(f"#{pk}" for pk in skipped)
            self.message_user(request, f"Skipped, {why_skipped}: {which}.", messages.WARNING)

    def _note_action(self, request, queryset, action: str):
        """Ask for a note on an intermediate page, then run the service on each eligible cancelation."""
        title, note_label, eligible, why_skipped, _, done = self.NOTE_ACTIONS[action]
        if not queryset.filter(**eligible).exists():
            self.message_user(
                request, f"None of the selected cancelations can be {done}: {why_skipped}.", messages.WARNING
            )
            return None
        form = NoteForm(request.POST if "apply" in request.POST else None, note_label=note_label)
        if form.is_bound and form.is_valid():
            self._run_note_action(request, queryset, action, form.cleaned_data["note"])
            return None
        queryset = queryset.filter(**eligible)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{title}: are you sure?",
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "done": done,
            "submit_label": title,
        }
        return TemplateResponse(request, "admin/cancelations/cancelation/action_note.html", context)

    def get_search_results(self, request, queryset, search_term):
        """A cancelable type by name; else part of the key or of a note, or the canceled record's id.

        Each is indexed: the type and id by (cancelable_type, cancelable_id), the
        key and notes by trigram indexes on PostgreSQL (migration 0003).
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        types = {name.lower(): name for name in settings.CANCELABLE_TYPES}
        if term.lower() in types:
            return queryset.filter(cancelable_type=types[term.lower()]), False
        query = Q(key__icontains=term) | Q(reason_note__icontains=term) | Q(reinstated_note__icontains=term)
        if term.isdigit():
            query |= Q(cancelable_id=int(term))
        return queryset.filter(query), False

    def _note_one(self, request, form, object_id, action: str):
        queryset = self.get_queryset(request).filter(pk=object_id)
        self._run_note_action(request, queryset, action, form.cleaned_data["note"])
        return back_to(request, reverse("admin:cancelations_cancelation_change", args=[object_id]))

    @action(
        description="Reinstate",
        url_path="reinstate-one",
        icon="undo",
        permissions=["change"],
        dialog={
            "title": "Reinstate this cancelation?",
            "description": "The record is no longer canceled; the note is kept as the reinstated note.",
            "form_class": ReinstateNoteForm,
            "form_submit_text": "Reinstate",
        },
    )
    def reinstate_one(self, request, form, object_id):
        return self._note_one(request, form, object_id, "reinstate_selected")

    @action(
        description="Cancel again",
        url_path="cancel-again-one",
        icon="event_busy",
        permissions=["change"],
        dialog={
            "title": "Cancel this record again?",
            "description": "The reinstated cancelation is active again; the note is kept as the reason note.",
            "form_class": CancelNoteForm,
            "form_submit_text": "Cancel again",
        },
    )
    def cancel_again_one(self, request, form, object_id):
        return self._note_one(request, form, object_id, "cancel_selected")

    @admin.display(description="state", ordering="active")
    def state(self, obj):
        return badge("Canceled", "danger") if obj.active else badge("Reinstated", "success")

    @admin.display(description="canceled record", ordering="cancelable_type")
    def cancelable(self, obj):
        return f"{obj.cancelable_type} #{obj.cancelable_id}"

    @admin.display(description="key", ordering="key")
    def key_short(self, obj):
        return shortened(obj.key, 16)

    @admin.display(description="reason", ordering="reason")
    def reason_short(self, obj):
        return shortened(obj.reason.text if obj.reason_id else obj.reason_text, 16)

    @admin.display(description="canceled", ordering="canceled_at")
    def canceled(self, obj):
        return short_datetime(obj.canceled_at)

    @admin.display(description="canceled by", ordering="canceled_by")
    def canceled_by_short(self, obj):
        return shortened(obj.canceled_by, 12)


class NoticeProblemFilter(ProblemFilter):
    pass  # every notice not made is a problem until handled


@admin.register(CancelationNoticeProblem)
class CancelationNoticeProblemAdmin(ReadOnlyRecordMixin, ModelAdmin):
    """Notices that could not be made (docs/cancelations.md): read-only, newest first."""

    list_display = ["created_at", "cancelation_link", "transition", "notification_type", "problem", "handled"]
    list_filter = [NoticeProblemFilter, "notification_type", "transition", "created_at"]
    actions = ["mark_handled"]
    list_select_related = ["cancelation"]
    search_fields = ["=cancelation__id", "problem"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="cancelation", ordering="cancelation_id")
    def cancelation_link(self, obj: CancelationNoticeProblem):
        url = reverse("admin:cancelations_cancelation_change", args=[obj.cancelation_id])
        return format_html('<a href="{}">{}</a>', url, obj.cancelation)

    @admin.display(description="handled")
    def handled(self, obj: CancelationNoticeProblem):
        if obj.resolved_at is None:
            return "—"
        return format_html('<span title="{}">{}</span>', obj.resolution, short_datetime(obj.resolved_at))

    @admin.action(description="Mark handled (with a note)", permissions=["view"])
    def mark_handled(self, request, queryset):
        note, page = ask_for_note(
            self, request, queryset, title="Mark these notice problems handled", action="mark_handled"
        )
        if page is not None:
            return page
        count = services.notice_problems_mark_handled(queryset=queryset, user=request.user, note=note)
        self.message_user(request, f"{count} notice problem(s) marked handled.", messages.SUCCESS)
        if skipped := queryset.count() - count:
            self.message_user(request, f"Left alone: {skipped} already handled.", messages.WARNING)
        return None

    def has_change_permission(self, request, obj=None):
        return False
