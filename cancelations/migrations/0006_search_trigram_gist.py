"""The key and note searches on GiST trigram indexes instead of GIN (PostgreSQL only).

Why GiST: notifications migration 0005. Here the search for "shoot 783 to" at 1,000,000
rows spent 22-29 ms in the GIN scan of the reason note (1,658 buffers for 22 candidates),
0.6 ms (126 buffers) with GiST. Same names and expressions; unapplied, the GIN indexes come back.
"""

from django.db import migrations

from planocore.db_operations import trigram_index, trigram_index_dropped

TABLE = "cancelations_cancelation"


class Migration(migrations.Migration):
    dependencies = [
        ("cancelations", "0005_help_texts"),
        ("planocore", "0004_pg_trgm"),
    ]

    operations = [
        trigram_index_dropped(TABLE, "key", "cancelation_key_trgm_idx"),
        trigram_index(TABLE, "key", "cancelation_key_trgm_idx", "gist"),
        trigram_index_dropped(TABLE, "reason_note", "cancelation_reason_note_trgm_idx"),
        trigram_index(TABLE, "reason_note", "cancelation_reason_note_trgm_idx", "gist"),
        trigram_index_dropped(TABLE, "reinstated_note", "cancelation_reinstated_note_trgm_idx"),
        trigram_index(TABLE, "reinstated_note", "cancelation_reinstated_note_trgm_idx", "gist"),
    ]
