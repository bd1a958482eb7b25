"""Trigram indexes for the admin's search by part of a key or note (PostgreSQL only).

Django's icontains is UPPER(column) LIKE UPPER('%term%'), so each index is on
UPPER(column). Not in the model's state: see planocore/db_operations.py.
"""

from django.db import migrations

from planocore.db_operations import trigram_index


class Migration(migrations.Migration):
    dependencies = [
        ("cancelations", "0003_notice_problems"),
        ("planocore", "0004_pg_trgm"),
    ]

    operations = [
        trigram_index("cancelations_cancelation", "key", "cancelation_key_trgm_idx"),
        trigram_index("cancelations_cancelation", "reason_note", "cancelation_reason_note_trgm_idx"),
        trigram_index("cancelations_cancelation", "reinstated_note", "cancelation_reinstated_note_trgm_idx"),
    ]
