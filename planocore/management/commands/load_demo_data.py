"""manage.py load_demo_data: a staff superuser, a demo client user and an application token.

It prints each login and what it can do, then runs each app's `demo_data` (its
AppConfig's, planocore.declarations): with no RingCentral credentials the Glip app
imports the sandbox's Glip teams, so a Glip message can be sent at once.
The demo client's only group is the Client group ("API clients", with
`client_group_permissions()`); like every client it sees only its own records.

Safe to run again: users are reused (their passwords reset and printed again),
a new token is made each time (tokens are shown only once), the import changes nothing.
"""

import json
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from planocore.accounts.models import Application, Client
from planocore.accounts.services import (
    application_token_create,
    client_group_ensure,
    client_group_permissions,
)
from planocore.declarations import declared


class Command(BaseCommand):
    help = "Load demo data for a local run and print the admin login and an API token."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port",
            type=int,
            default=8000,
            help="The port the app is served on, for the links printed (make run passes its PORT).",
        )

    @transaction.atomic
    def handle(self, *args, port, **options):
        User = get_user_model()
        base = f"http://127.0.0.1:{port}"
        admin_password = secrets.token_urlsafe(12)
        admin, first_run = User.objects.get_or_create(
            username="admin", defaults={"email": "admin@planocore.local"}
        )
        admin.is_staff = admin.is_superuser = True
        admin.set_password(admin_password)
        admin.save()

        client_password = secrets.token_urlsafe(12)
        demo, _ = User.objects.get_or_create(
            username="demo-client", defaults={"email": "client@planocore.local"}
        )
        demo.set_password(client_password)
        demo.save()
        client, _ = Client.objects.get_or_create(user=demo)
        client.groups.set([client_group_ensure()])

        planox2 = Application.objects.get(slug="planox2")
        earlier_tokens = planox2.tokens.filter(name="demo").count()
        _, token = application_token_create(application=planox2, name="demo")
        sign_in = json.dumps({"email": demo.email, "password": client_password}, separators=(",", ":"))
        self.stdout.write(
            f"\nPlanoCore demo data loaded. Start at {base}/ (links to everything below).\n"
            + (
                ""
                if first_run
                else "  Run before: the passwords below are new (the ones printed before no longer work);\n"
                f"  the {earlier_tokens} demo token(s) printed before still work, beside the new one.\n"
            )
            + "\n"
            f"  Admin login:  user admin  password {admin_password}\n"
            f"    A superuser: everything in {base}/admin/ (notifications, the outbox and\n"
            "    its sandbox failure switches, cancelations, Glip teams and messages, tokens), and the\n"
            f"    browsable API (open {base}/api/v1/sessions/current once signed in).\n"
            "\n"
            f"  Demo client:  client@planocore.local  password {client_password}\n"
            "    An API user (not staff: no admin), a customer: signs in through the API for a session\n"
            f"    token (pcs_…) acting as a client (group 'API clients': {len(client_group_permissions())} "
            "permissions).\n"
            "    It sees only its own notifications, cancelations and messaging clients; no Glip:\n"
            f"    curl -X POST --data $(printf '{sign_in}' | base64 -w0) {base}/api/v1/sessions\n"
            "\n"
            f"  API token (application planox2, shown once): {token}\n"
            "    What other applications use: every API route (send Glip messages, notifications,\n"
            "    cancelations, messaging clients), as PlanoX2.\n"
            f"    curl -H 'Authorization: Bearer <token>' {base}/api/v1/sessions/current\n"
        )
        for _, demo_data in declared("demo_data"):  # each app's own (planocore.declarations)
            demo_data(self.stdout, base=base)
        self.stdout.write(f"  Docs: {base}/documentation/  API viewer: {base}/api/docs\n")
