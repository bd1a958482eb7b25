"""manage.py create_application_token <slug> [--permission app_label.codename ...]"""

from django.core.management.base import BaseCommand, CommandError

from planocore.accounts.models import Application
from planocore.accounts.services import application_token_create, resolve_permissions


class Command(BaseCommand):
    help = (
        "Make an application token and print it, alone, on standard output (it is shown only "
        "once). Without --permission the token gets every permission of the API's models."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The application's slug (planoauth, planoorder, planox2, ...).")
        parser.add_argument(
            "--permission",
            action="append",
            default=None,
            metavar="app_label.codename",
            help="A permission the token carries; repeat for several.",
        )
        parser.add_argument("--name", default="", help="A label to recognise the token by.")

    def handle(self, *args, slug, permission, name, **options):
        application = Application.objects.filter(slug=slug).first()
        if application is None:
            known = ", ".join(Application.objects.values_list("slug", flat=True))
            raise CommandError(f"No application {slug!r}; known applications: {known}.")
        try:
            permissions = resolve_permissions(permission) if permission else None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        _, clear = application_token_create(application=application, permissions=permissions, name=name)
        self.stdout.write(clear)
