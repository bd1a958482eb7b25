"""The admin finds a notification by part of an address without "@" ("agent13", "realty-example.com").

A GiST trigram index on email_to (PostgreSQL only), as for the subject and team name
(0005): the admin's search ORs it with the others; without it every such search
would read the table.
"""

from django.db import migrations

from planocore.db_operations import trigram_index

TABLE = "notifications_notification"


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0006_delivery_vocabulary"),
        ("planocore", "0004_pg_trgm"),
    ]

    operations = [
        trigram_index(TABLE, "email_to", "notif_email_to_trgm_idx", "gist"),
    ]
