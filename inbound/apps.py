from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "inbound"
    verbose_name = "Inbound and consent"
    default_auto_field = "django.db.models.BigAutoField"
    api_models = True  # its models' permissions are the API's (planocore.accounts.services)
    # What the Client role may do with its own replies (planocore.declarations).
    client_permissions = ("inbound.view_inboundmessage",)

    def demo_data(self, stdout, *, base: str) -> None:
        """For `manage.py load_demo_data`: a reply and a bounce, so the inbox, the suppressions and
        their API routes have something to show (once: nothing is made when inbound messages exist)."""
        from inbound.models import InboundMessage
        from inbound.services import simulate_inbound

        if InboundMessage.objects.exists():
            return
        said = [
            simulate_inbound(kind="sms", text="Thanks, see you at 9", address="+15550002222"),
            simulate_inbound(kind="bounce", address="bounced@example.com"),
        ]
        stdout.write(
            "\n  Sandbox inbound (manage.py simulate_inbound makes more): " + " ".join(said) + "\n"
            f"    curl -H 'Authorization: Bearer <token>' {base}/api/v1/inbound_messages\n"
        )

    def ready(self) -> None:
        from anymail.signals import inbound, tracking

        from inbound import receivers
        from messaging.signals import conversation_message
        from planocore.consent import register_suppression_check
        from planocore.outbox.signals import outcome_recorded

        tracking.connect(receivers.mandrill_tracking, dispatch_uid="inbound.mandrill_tracking")
        inbound.connect(receivers.mandrill_inbound, dispatch_uid="inbound.mandrill_inbound")
        conversation_message.connect(
            receivers.conversation_message, dispatch_uid="inbound.conversation_message"
        )
        outcome_recorded.connect(
            receivers.outgoing_request_outcome, dispatch_uid="inbound.outgoing_request_outcome"
        )
        register_suppression_check("inbound", receivers.suppressions_for_sends)
