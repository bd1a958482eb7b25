from django.db import migrations, models

from planocore.db_operations import trigram_index


def fill_recipients(apps, schema_editor):
    """Name the recipient of the requests already written, in batches (the table may be large)."""
    from planocore.outbox.services import RECIPIENT_MAX, recipient_of

    ExternalRequest = apps.get_model("outbox", "ExternalRequest")
    last = 0
    while True:
        batch = list(ExternalRequest.objects.filter(pk__gt=last, recipient="").order_by("pk")[:2000])
        if not batch:
            return
        for row in batch:
            row.recipient = recipient_of(row.payload or {})[:RECIPIENT_MAX]
        ExternalRequest.objects.bulk_update([row for row in batch if row.recipient], ["recipient"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0006_dashboard_day_index"),
        ("planocore", "0004_pg_trgm"),
    ]

    operations = [
        migrations.AddField(
            model_name="externalrequest",
            name="recipient",
            field=models.CharField(
                blank=True,
                help_text="Who the request goes to (addresses, phone numbers, the Glip team or user).",
                max_length=255,
            ),
        ),
        migrations.RunPython(fill_recipients, migrations.RunPython.noop, elidable=True),
        # The admin's search by part of a recipient (icontains is UPPER(...) LIKE): see ExternalRequestAdmin.
        trigram_index("outbox_externalrequest", "recipient", "outbox_recipient_trgm_idx"),
    ]
