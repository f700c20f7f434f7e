"""Which migration operations are unsafe to run while the previous release still serves traffic.

A deploy migrates first and then replaces the running code, so for a while the old code runs
against the new schema. An operation is unsafe when that old code then fails (it reads a column
that is gone or renamed, or inserts rows without a value for a new NOT NULL column), or when the
operation holds a lock that stops writes for as long as it scans or indexes a whole table.
Operations on a table created in the same migration are always safe: nothing uses it yet.

The rules read operations, not SQL, so they need no database; ``RunSQL`` cannot be read and is
reported for a person to judge.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.postgres.operations import AddConstraintNotValid, AddIndexConcurrently
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations import operations as ops
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ModelState, ProjectState
from django.db.models import NOT_PROVIDED, Field

_VARCHAR = re.compile(r"^varchar\((\d+)\)$")

_EXPAND_CONTRACT = (
    "deploy the code that stops using it first (remove it from the model's state with "
    "SeparateDatabaseAndState and no database operation), then drop it in a later release, "
    "in a migration listed in MIGRATION_SAFETY_EXEMPT"
)
_CONCURRENTLY = (
    "build the index with AddIndexConcurrently (django.contrib.postgres) in a migration with atomic = False"
)
_NEW_COLUMN = "add a new column, write both, backfill, switch reads, and drop the old one in a later release"

#: rule -> what to do instead.
ADVICE = {
    "drop-column": _EXPAND_CONTRACT,
    "drop-table": _EXPAND_CONTRACT,
    "rename-column": _NEW_COLUMN,
    "rename-table": "keep the table's name (Meta.db_table) when renaming a model",
    "alter-column-type": "the table is rewritten under an exclusive lock, and the running release may "
    "write values the new type refuses: " + _NEW_COLUMN,
    "not-null-without-db-default": "the running release's inserts do not name the column and fail "
    "(Django's default= only fills the existing rows); give it db_default=, or add it null=True",
    "set-not-null": "the running release may still write NULL, and the check scans the table under an "
    "exclusive lock: add a NOT VALID check constraint (AddConstraintNotValid), validate it "
    "(ValidateConstraint), and set NOT NULL in a later release",
    "index-lock": "Postgres blocks writes for the whole build: "
    + _CONCURRENTLY
    + " (for a new foreign key, unique or db_index column: add it without the index first)",
    "constraint-lock": "add it with AddConstraintNotValid and ValidateConstraint (django.contrib.postgres); "
    "for a unique constraint, build its index concurrently first",
    "run-sql": "review it and list the migration in MIGRATION_SAFETY_EXEMPT with the reason it is safe",
}


@dataclass(frozen=True)
class Violation:
    """One unsafe operation: where it is, which rule it breaks, and what to do instead."""

    migration: str  # app_label.name
    operation: str
    rule: str
    message: str

    @property
    def advice(self) -> str:
        return ADVICE[self.rule]

    def __str__(self) -> str:
        return f"{self.migration}: {self.operation}: {self.message} [{self.rule}]: {self.advice}"


def check_migration(
    migration: Migration, state: ProjectState, connection: BaseDatabaseWrapper | None = None
) -> list[Violation]:
    """Return the unsafe operations of ``migration``, applied to ``state`` (the project's state
    just before it; left unchanged)."""
    connection = connection or connections["default"]
    label = f"{migration.app_label}.{migration.name}"
    checker = _Checker(migration.app_label, state.clone(), connection)
    return [
        Violation(label, operation.describe(), rule, message)
        for operation in migration.operations
        for rule, message in checker.check(operation)
    ]


class _Checker:
    """Walks a migration's operations, keeping the state each one applies to."""

    def __init__(self, app_label: str, state: ProjectState, connection: BaseDatabaseWrapper) -> None:
        self.app_label = app_label
        self.state = state
        self.connection = connection
        self.created: set[str] = set()  # models whose table this migration creates

    def check(self, operation: Operation) -> Iterator[tuple[str, str]]:
        if isinstance(operation, ops.SeparateDatabaseAndState):
            # Only the database operations touch the schema; the state follows state_operations.
            database_state = _Checker(self.app_label, self.state.clone(), self.connection)
            database_state.created = set(self.created)
            for database_operation in operation.database_operations:
                yield from database_state.check(database_operation)
        else:
            yield from self._rules(operation)
        operation.state_forwards(self.app_label, self.state)

    def _rules(self, op: Operation) -> Iterator[tuple[str, str]]:
        model = getattr(op, "model_name", None) or getattr(op, "name", None)
        if isinstance(op, ops.CreateModel):
            self.created.add(op.name_lower)
        elif isinstance(op, ops.RunSQL):
            yield "run-sql", "raw SQL cannot be checked"
        elif model is None or model.lower() in self.created:
            return
        elif isinstance(op, ops.RemoveField):
            field = self._field(op.model_name, op.name)
            what = f"the join table of {op.name!r}" if field.many_to_many else f"column {field.column!r}"
            yield "drop-column", f"drops {what}, which the running release still reads"
        elif isinstance(op, ops.DeleteModel):
            yield "drop-table", f"drops table {self._table(op.name)!r}, which the running release still uses"
        elif isinstance(op, ops.RenameField):
            old, new = self._field(op.model_name, op.old_name).column, self._renamed_column(op)
            if old != new:
                yield "rename-column", f"renames column {old!r} to {new!r} under the running release"
        elif isinstance(op, ops.RenameModel | ops.AlterModelTable):
            yield from self._table_rename(op)
        elif isinstance(op, ops.AddField):
            yield from self._add_field(op)
        elif isinstance(op, ops.AlterField):
            yield from self._alter_field(op)
        elif isinstance(op, ops.AddIndex) and not isinstance(op, AddIndexConcurrently):
            yield "index-lock", f"builds index {op.index.name!r} while blocking writes to the table"
        elif isinstance(op, ops.AddConstraint) and not isinstance(op, AddConstraintNotValid):
            yield (
                "constraint-lock",
                f"adds constraint {op.constraint.name!r}, checking every row under a lock",
            )
        elif isinstance(op, ops.AlterUniqueTogether | ops.AlterIndexTogether) and self._adds_together(op):
            yield "index-lock", f"builds an index for {op.option_name} while blocking writes to the table"

    # -- rules that need the state --------------------------------------------------------

    def _add_field(self, op: ops.AddField) -> Iterator[tuple[str, str]]:
        field = op.field
        if field.many_to_many:
            return  # a new join table
        if not field.null and field.db_default is NOT_PROVIDED:
            yield (
                "not-null-without-db-default",
                f"adds NOT NULL column {op.name!r} without a database default",
            )
        if field.unique or field.db_index:
            yield "index-lock", f"indexes new column {op.name!r} while blocking writes to the table"

    def _alter_field(self, op: ops.AlterField) -> Iterator[tuple[str, str]]:
        old, new = self._field(op.model_name, op.name), op.field
        old_column, new_column = old.db_column or op.name, new.db_column or op.name
        if old_column != new_column:
            yield (
                "rename-column",
                f"renames column {old_column!r} to {new_column!r} under the running release",
            )
        old_type, new_type = self._db_type(old), self._db_type(new)
        if old_type != new_type and not _widens(old_type, new_type):
            yield (
                "alter-column-type",
                f"changes the type of column {new_column!r} from {old_type} to {new_type}",
            )
        if old.null and not new.null:
            yield "set-not-null", f"makes column {new_column!r} NOT NULL"
        if (new.unique and not old.unique) or (new.db_index and not old.db_index and not new.unique):
            yield "index-lock", f"indexes column {new_column!r} while blocking writes to the table"

    def _table_rename(self, op: ops.RenameModel | ops.AlterModelTable) -> Iterator[tuple[str, str]]:
        old_name = op.old_name if isinstance(op, ops.RenameModel) else op.name
        old_table = self._table(old_name)
        after = self.state.clone()
        op.state_forwards(self.app_label, after)
        new_name = op.new_name if isinstance(op, ops.RenameModel) else op.name
        new_table = _table_of(self.app_label, after.models[self.app_label, new_name.lower()])
        if old_table != new_table:
            yield (
                "rename-table",
                (
                    f"renames table {old_table!r} to {new_table!r} under the running release; keep the table "
                    "name (Meta.db_table) when renaming a model"
                ),
            )

    def _adds_together(self, op: ops.AlterUniqueTogether | ops.AlterIndexTogether) -> bool:
        before = self.state.models[self.app_label, op.name_lower].options.get(op.option_name) or set()
        return bool(set(op.option_value or ()) - {tuple(t) for t in before})

    # -- state lookups ----------------------------------------------------------------------

    def _field(self, model: str, name: str) -> Field:
        field = self.state.models[self.app_label, model.lower()].fields[name]
        if getattr(field, "column", None) is None:  # fields kept in a state are not bound to a model
            field = field.clone()
            field.set_attributes_from_name(name)
        return field

    def _renamed_column(self, op: ops.RenameField) -> str:
        old = self._field(op.model_name, op.old_name)
        return old.db_column or op.new_name

    def _table(self, model: str) -> str:
        return _table_of(self.app_label, self.state.models[self.app_label, model.lower()])

    def _db_type(self, field: Field) -> str | None:
        if field.is_relation:
            return f"references {field.related_model}".lower()
        return field.db_type(self.connection)


def _table_of(app_label: str, model_state: ModelState) -> str:
    return model_state.options.get("db_table") or f"{app_label}_{model_state.name_lower}"


def _widens(old_type: str | None, new_type: str | None) -> bool:
    """A longer varchar is a change of metadata only in Postgres, and accepts every old value."""
    old, new = _VARCHAR.match(old_type or ""), _VARCHAR.match(new_type or "")
    return bool(old and new and int(new.group(1)) >= int(old.group(1)))
