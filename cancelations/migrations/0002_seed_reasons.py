"""Reference data: a few cancelation reasons, so a fresh install can cancel right away.

Staff edit, reorder or retire them in the admin; this migration only adds the
ones that are missing and never changes existing rows.
"""

from django.db import migrations

REASONS = [
    ("client-request", "Client requested the cancelation", 10),
    ("property-not-ready", "Property not ready for the shoot", 20),
    ("weather", "Bad weather", 30),
    ("scheduling-conflict", "Scheduling conflict", 40),
    ("duplicate", "Duplicate order", 50),
    ("payment-issue", "Payment issue", 60),
    ("other", "Other (see the note)", 100),
]


def seed(apps, schema_editor):
    CancelationReason = apps.get_model("cancelations", "CancelationReason")
    for slug, text, order in REASONS:
        CancelationReason.objects.get_or_create(slug=slug, defaults={"text": text, "order": order})


class Migration(migrations.Migration):
    dependencies = [("cancelations", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
