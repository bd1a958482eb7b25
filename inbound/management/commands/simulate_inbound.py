"""Make an inbound event happen without any provider: an SMS reply, an email bounce, a conversation message.

They go through the same services the webhooks call, so a simulated STOP suppresses the
next SMS to that number exactly as a real one would (see docs/inbound.md, "Sandbox").
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from inbound.services import simulate_inbound


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
        asked = [
            ("sms", sms, sender or "") if sms is not None else None,
            ("bounce", "", bounce) if bounce is not None else None,
            ("conversation", conversation, user_id) if conversation is not None else None,
        ]
        asked = [a for a in asked if a]
        if not asked:
            raise CommandError(
                "Give --sms TEXT --from NUMBER, --bounce ADDRESS or --conversation TEXT --user-id ID."
            )
        for kind, text, address in asked:
            try:
                self.stdout.write(simulate_inbound(kind=kind, text=text, address=address, to=to))
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
