"""Migration operations for what only PostgreSQL has (trigram indexes), leaving SQLite as it is.

    dependencies = [..., ("planocore", "0004_pg_trgm")]  # the pg_trgm extension
    operations = [trigram_index("notifications_notification", "team_name", "notif_team_trgm_idx")]

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


def trigram_index(table: str, column: str, name: str) -> PostgreSQLOnly:
    """A GIN trigram index on UPPER(column), which serves Django's `icontains` (UPPER(col) LIKE UPPER(...)).

    Written as SQL: Django renders OpClass(Upper(column)) as "(UPPER(col) gin_trgm_ops)",
    which PostgreSQL rejects. Needs ("planocore", "0004_pg_trgm") among the migration's dependencies.
    """
    return PostgreSQLOnly(
        RunSQL(
            f'CREATE INDEX "{name}" ON "{table}" USING gin (UPPER("{column}") gin_trgm_ops)',
            f'DROP INDEX IF EXISTS "{name}"',
        )
    )
