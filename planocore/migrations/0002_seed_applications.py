"""Reference data: the seeds' three applications exist after `migrate` alone."""

from django.db import migrations

APPLICATIONS = [
    ("planoauth", "PlanoAuth", "client"),
    ("planoorder", "PlanoOrder", "client"),
    ("planox2", "PlanoX2", "employee"),
]


def seed(apps, schema_editor):
    Application = apps.get_model("planocore", "Application")
    for slug, name, role in APPLICATIONS:
        Application.objects.get_or_create(slug=slug, defaults={"name": name, "role": role})


class Migration(migrations.Migration):
    dependencies = [("planocore", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
