"""The subject and team name searches on GiST trigram indexes instead of GIN (PostgreSQL only).

Measured with bench/admin_scale.py at 1,000,000 rows: the admin's search for "tour 777 is"
spent 20-25 ms of each run in the GIN index scan (1,410 buffers for 22 candidate rows),
reading the posting lists of trigrams every subject has ("tou", "our", " is"), while the
GiST index answers it in about 1 ms (214 buffers). Why, and the signature length:
planocore/db_operations.py. Same names, same expression (UPPER(column), which
Django's icontains compares); unapplied, the GIN indexes come back.
"""

from django.db import migrations

from planocore.db_operations import trigram_index, trigram_index_dropped

TABLE = "notifications_notification"


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_help_texts"),
        ("planocore", "0004_pg_trgm"),
    ]

    operations = [
        trigram_index_dropped(TABLE, "email_subject", "notif_subject_trgm_idx"),
        trigram_index(TABLE, "email_subject", "notif_subject_trgm_idx", "gist"),
        trigram_index_dropped(TABLE, "team_name", "notif_team_trgm_idx"),
        trigram_index(TABLE, "team_name", "notif_team_trgm_idx", "gist"),
    ]
