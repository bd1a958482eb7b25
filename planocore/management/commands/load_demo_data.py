"""manage.py load_demo_data: a staff superuser, a demo client user and an application token.

The demo client's only group is the Client group ("API clients", with
CLIENT_GROUP_PERMISSIONS); like every client it sees only its own records.

Safe to run again: users are reused (their passwords reset and printed again),
and a new token is made each time (tokens are shown only once).
"""

import json
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from planocore.accounts.models import Application, Client
from planocore.accounts.services import application_token_create, client_group_ensure


class Command(BaseCommand):
    help = "Load demo data for a local run and print the admin login and an API token."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        admin_password = secrets.token_urlsafe(12)
        admin, _ = User.objects.get_or_create(username="admin", defaults={"email": "admin@planocore.local"})
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

        _, token = application_token_create(application=Application.objects.get(slug="planox2"), name="demo")
        sign_in = json.dumps({"email": demo.email, "password": client_password}, separators=(",", ":"))
        self.stdout.write(
            "\nPlanoCore demo data loaded.\n"
            f"  Admin:        http://127.0.0.1:8000/admin/  user admin  password {admin_password}\n"
            f"  Demo client:  client@planocore.local  password {client_password}\n"
            f"  API token (planox2, shown once): {token}\n"
            "  Try: curl -H 'Authorization: Bearer <token>' http://127.0.0.1:8000/api/v1/sessions/current\n"
            "  Sign in as the demo client (the body is base64 of the JSON params):\n"
            f"    curl -X POST --data $(printf '{sign_in}' | base64 -w0) http://127.0.0.1:8000/api/v1/sessions\n"
            "  Docs: http://127.0.0.1:8000/documentation/\n"
        )
