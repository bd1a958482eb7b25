"""Make an inbound event happen without any provider: an SMS reply, an email bounce, a conversation message.

They go through the same services the webhooks call, so a simulated STOP suppresses the
next SMS to that number exactly as a real one would (see docs/inbound.md, "Sandbox").
"""

import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from inbound import services
from inbound.models import InboundChannel
from inbound.phones import normalize_phone


class Command(BaseCommand):
    help = (
        "Simulate an inbound SMS (--sms TEXT --from NUMBER), an email bounce (--bounce ADDRESS) "
        "or a conversation message (--conversation TEXT --user-id ID)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sms", metavar="TEXT", help="The text of an inbound SMS (STOP, START, HELP or a reply)."
        )
        parser.add_argument(
            "--from", dest="sender", metavar="NUMBER", help="The SMS sender (E.164, or national)."
        )
        parser.add_argument("--to", default="", metavar="NUMBER", help="Our number it was sent to.")
        parser.add_argument("--bounce", metavar="ADDRESS", help="An email address that hard-bounced.")
        parser.add_argument("--conversation", metavar="TEXT", help="The text of a conversation message.")
        parser.add_argument("--user-id", default="", help="The user id of a conversation message.")

    def handle(
        self, *args, sms=None, sender=None, to="", bounce=None, conversation=None, user_id="", **options
    ):
        if not (sms or bounce or conversation):
            raise CommandError(
                "Give --sms TEXT --from NUMBER, --bounce ADDRESS or --conversation TEXT --user-id ID."
            )
        event_id = f"simulated-{uuid.uuid4().hex}"
        if sms is not None:
            number = normalize_phone(sender or "")
            if number is None:
                raise CommandError("--from must be a phone number, e.g. +14155550123.")
            message = services.inbound_message_record(
                inbound=services.Inbound(
                    channel=InboundChannel.SMS,
                    provider="sandbox",
                    event_id=event_id,
                    from_address=number,
                    to_address=normalize_phone(to) or "",
                    text=sms,
                    received_at=timezone.now(),
                )
            )
            linked = f", answering notification #{message.notification_id}" if message.notification_id else ""
            keyword = f" (keyword {message.keyword})" if message.keyword else ""
            self.stdout.write(f"Inbound SMS #{message.pk} from {number}{keyword}{linked}.")
        if bounce is not None:
            suppression = services.mandrill_event_suppress(
                esp_type="hard_bounce", recipient=bounce, occurred_at=timezone.now(), detail="simulated"
            )
            if suppression is None:
                raise CommandError("--bounce must be an email address.")
            self.stdout.write(
                f"Email to {suppression.address} suppressed (hard bounce), suppression #{suppression.pk}."
            )
        if conversation is not None:
            if not user_id:
                raise CommandError("--conversation needs --user-id.")
            message = services.inbound_message_record(
                inbound=services.Inbound(
                    channel=InboundChannel.CONVERSATION,
                    provider="sandbox",
                    event_id=event_id + "-c",
                    from_address=user_id,
                    user_id=user_id,
                    text=conversation,
                    received_at=timezone.now(),
                )
            )
            self.stdout.write(f"Conversation message #{message.pk} from user {user_id}.")
