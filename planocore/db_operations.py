"""Migration operations for what only PostgreSQL has (trigram indexes), leaving SQLite as it is.

    dependencies = [..., ("planocore", "0004_pg_trgm")]  # the pg_trgm extension
    operations = [trigram_index("notifications_notification", "team_name", "notif_team_trgm_idx", "gist")]

`trigram_index` is a PostgreSQLOnly(RunSQL(...)). The wrapped operation changes the database on PostgreSQL
only and never the migration state: the index is not in the model's Meta (SQLite could not build
it, and SQLite's table rebuilds copy every index of the state), so
`makemigrations` leaves it alone. Its model says where it is made.
"""

from django.db.migrations.operations.base import Operation
from django.db.migrations.operations.special import RunSQL


class PostgreSQLOnly(Operation):
    """Run another operation's database changes on PostgreSQL only; the state never changes."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, operation: Operation):
        self.operation = operation

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.operation], {})

    def state_forwards(self, app_label, state):
        pass  # not in the state: see the module's docstring

    def _with_operation(self, app_label, state):
        state = state.clone()
        self.operation.state_forwards(app_label, state)
        return state

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            to_state = self._with_operation(app_label, from_state)
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            from_state = self._with_operation(app_label, to_state)
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"On PostgreSQL only: {self.operation.describe()}"

    @property
    def migration_name_fragment(self):
        return f"postgresql_{self.operation.migration_name_fragment}"


# The GiST signature length, in bytes (pg_trgm's default is 12). Measured at 1,000,000 rows
# (bench/admin_scale.py's searches): 12 bytes took 4-20 ms a search, 32 up to 4 ms, 128 at
# most 3 ms, with a smaller index; 256 was no better.
GIST_SIGLEN = 128

OPCLASSES = {"gin": "gin_trgm_ops", "gist": f"gist_trgm_ops(siglen={GIST_SIGLEN})"}


def _trigram_index_sql(table: str, column: str, name: str, method: str) -> str:
    return f'CREATE INDEX "{name}" ON "{table}" USING {method} (UPPER("{column}") {OPCLASSES[method]})'


def trigram_index(table: str, column: str, name: str, method: str = "gin") -> PostgreSQLOnly:
    """A trigram index on UPPER(column), which serves Django's `icontains` (UPPER(col) LIKE UPPER(...)).

    `method` is "gin" or "gist"; the admin's substring searches use "gist" (notifications
    migration 0005 and its siblings). A GIN scan for LIKE '%...%' checks every candidate
    row of the term's rarest trigram against the posting list of each of its other
    trigrams; a trigram most rows share ("tou", " is") has a posting list as long as the
    table, and reading it costs tens of milliseconds at a million rows even when one row
    matches (EXPLAIN: 1,100-1,700 index buffers for ~20 candidates). A GiST index holds
    each row's trigrams together, so it descends only into subtrees whose signature has
    all of them: 0.4-3 ms for the same searches. It is about 3.5 times GIN's size and
    costs ~30 µs more per inserted row (GIN defers its work to a pending list).

    Written as SQL: Django renders OpClass(Upper(column)) as "(UPPER(col) gin_trgm_ops)",
    which PostgreSQL rejects. Needs ("planocore", "0004_pg_trgm") among the migration's dependencies.
    """
    return PostgreSQLOnly(
        RunSQL(_trigram_index_sql(table, column, name, method), f'DROP INDEX IF EXISTS "{name}"')
    )


def trigram_index_dropped(table: str, column: str, name: str, method: str = "gin") -> PostgreSQLOnly:
    """Drop a trigram index made by `trigram_index` (with the same arguments); unapplied, make it again."""
    return PostgreSQLOnly(
        RunSQL(f'DROP INDEX IF EXISTS "{name}"', _trigram_index_sql(table, column, name, method))
    )
