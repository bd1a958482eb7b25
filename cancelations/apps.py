from django.apps import AppConfig


class CancelationsConfig(AppConfig):
    name = "cancelations"
    verbose_name = "Cancelations"
    api_models = True  # its models' permissions are the API's (planocore.accounts.services)
    # What the Client role may read of its own cancelations (planocore.declarations).
    client_permissions = ("cancelations.view_cancelation", "cancelations.view_cancelationreason")

    def sandbox_glip_teams(self) -> list[tuple[str, str, str]]:
        """The team cancelation notices go to, which the sandbox's Glip team list shows first."""
        from django.conf import settings

        name = settings.CANCELATION_NOTICE_GLIP_TEAM
        return [("sandbox-cancelations", name, "Cancelation notices.")] if name else []

    def ready(self) -> None:
        from django.conf import settings

        from cancelations import selectors
        from cancelations.models import CancelationReason
        from planocore.admin_navigation import register_badge
        from planocore.dashboard import register_failures
        from planocore.routes.list_items import register_list_item

        register_failures(
            "cancelation_notice_problems",
            "Cancelation notices not made",
            selectors.notice_problem_failures,
            selectors.notice_problems_url,
            lambda: selectors.notice_problems_open().count(),
        )

        # The sidebar's badge on "Notice problems": the notices not made that nobody has handled.
        register_badge("cancelations.notice_problems", lambda: selectors.notice_problems_open().count())

        register_list_item(
            "cancelation_reason",
            "Cancelation reasons",
            lambda: [
                (reason.slug, f"{reason.text} (reason_id {reason.pk})")
                for reason in CancelationReason.objects.filter(active=True).order_by("order", "slug")
            ],
            description="The reasons a cancelation may give, as reason_slug (or reason_id).",
        )
        register_list_item(
            "cancelable_type",
            "Cancelable types",
            lambda: [(name, f"{name} records") for name in settings.CANCELABLE_TYPES],
            description="The types of record that can be canceled (settings.CANCELABLE_TYPES).",
        )
