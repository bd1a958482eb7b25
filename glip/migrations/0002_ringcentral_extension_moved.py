"""The RingCentral extensions move to the RingCentral provider's app (label `ringcentral`).

Copy, then switch: the rows are copied with their ids (foreign keys, outbox
payloads' `extension_id` and budget names `ringcentral:ext:<id>` stay right),
the id sequence is moved past them, the teams' and messages' foreign keys are
pointed at the new table, the content type moves with its permissions and admin
log entries, and the old table is dropped. Backwards, the same in reverse order.
"""

import django.db.models.deletion
from django.core.management.color import no_style
from django.db import migrations, models

FIELDS = (
    "id",
    "extension_number",
    "login_phone_number",
    "display_name",
    "jwt",
    "password",
    "is_default",
    "active",
    "created_at",
    "updated_at",
)


def _copy(apps, schema_editor, source: str, target: str) -> None:
    Source = apps.get_model(source, "RingCentralExtension")
    Target = apps.get_model(target, "RingCentralExtension")
    db = schema_editor.connection.alias
    # The values as stored (ciphertext), not decrypted and encrypted again.
    # Rows left by an earlier run (migrated back since: nothing refers to them now) are replaced.
    Target.objects.using(db).all().delete()
    rows = [dict(zip(FIELDS, row, strict=True)) for row in Source.objects.using(db).values_list(*FIELDS)]
    copies = Target.objects.using(db).bulk_create([Target(**row) for row in rows], batch_size=500)
    # bulk_create set created_at/updated_at to now (auto_now_add, auto_now): put the originals back.
    for copy, row in zip(copies, rows, strict=True):
        copy.created_at, copy.updated_at = row["created_at"], row["updated_at"]
    Target.objects.using(db).bulk_update(copies, ["created_at", "updated_at"], batch_size=500)
    statements = schema_editor.connection.ops.sequence_reset_sql(no_style(), [Target])
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.using(db).filter(app_label=target, model="ringcentralextension").exists():
        ContentType.objects.using(db).filter(app_label=source, model="ringcentralextension").update(
            app_label=target
        )


def forwards(apps, schema_editor):
    _copy(apps, schema_editor, "glip", "ringcentral")


def backwards(apps, schema_editor):
    _copy(apps, schema_editor, "ringcentral", "glip")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("glip", "0001_initial"),
        ("ringcentral", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="glipmessage",
            name="extension",
            field=models.ForeignKey(
                blank=True,
                help_text="The extension that posts it; empty means the default extension.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="messages",
                to="ringcentral.ringcentralextension",
            ),
        ),
        migrations.AlterField(
            model_name="glipteam",
            name="source_extension",
            field=models.ForeignKey(
                blank=True,
                help_text="The default extension whose team list it was imported from.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="imported_teams",
                to="ringcentral.ringcentralextension",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, backwards),
        migrations.DeleteModel(name="RingCentralExtension"),
    ]
