from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"
    api_models = True  # its models' permissions are the API's (planocore.accounts.services)
    # What the Client role may do with its own notifications (planocore.declarations).
    client_permissions = ("notifications.view_notification", "notifications.add_notification")

    def ready(self) -> None:
        from anymail.signals import tracking
        from django.db.models.signals import post_save

        from notifications import receivers, selectors
        from notifications.models import Notification, NotificationType
        from notifications.serializers import VIEWS
        from planocore.dashboard import register_failures
        from planocore.outbox.signals import outcome_recorded
        from planocore.routes.list_items import register_list_item

        post_save.connect(
            receivers.notification_saved, sender=Notification, dispatch_uid="notifications.notification_saved"
        )
        outcome_recorded.connect(
            receivers.outgoing_request_outcome, dispatch_uid="notifications.outgoing_request_outcome"
        )
        tracking.connect(receivers.mandrill_tracking, dispatch_uid="notifications.mandrill_tracking")
        register_failures(
            "production_notifications",
            "Production notifications (emails refused, failed or bounced)",
            selectors.production_failures,
            selectors.production_failures_url,
            lambda: selectors.production_problems().count(),
        )
        register_list_item(
            "notification_type",
            "Notification types",
            lambda: list(NotificationType.choices),
            "How a notification is sent (`notification_type` of /api/v1/notifications).",
        )
        register_list_item(
            "view",
            "Views",
            lambda: list(VIEWS),
            "Shapes of the returned record (`view` of /api/v1/notifications).",
        )
