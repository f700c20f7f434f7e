"""Zero-downtime rules on synthetic migrations, applied to the project's real state."""

import pytest
from django.contrib.postgres.operations import AddConstraintNotValid, AddIndexConcurrently
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader

from catalog_service.migration_safety.rules import check_migration


@pytest.fixture(scope="module")
def state():
    """The project's state with every migration applied (no database needed)."""
    return MigrationLoader(None, ignore_no_migrations=True).project_state()


def violations(state, *operations, app_label="catalog"):
    migration = migrations.Migration("0099_synthetic", app_label)
    migration.operations = list(operations)
    return check_migration(migration, state)


def rules(state, *operations, app_label="catalog"):
    return [v.rule for v in violations(state, *operations, app_label=app_label)]


def sku(**options):
    """The sku field as it is, with ``options`` changed."""
    return models.CharField(**{"max_length": 64, "unique": True, **options})


VERSION_POSITIVE = models.CheckConstraint(condition=models.Q(version__gte=0), name="version_positive")
SKU_INDEX = models.Index(fields=["sku", "version"], name="sku_version")


@pytest.mark.parametrize(
    ("operation", "rule"),
    [
        (migrations.RemoveField("product", "sku"), "drop-column"),
        (migrations.DeleteModel("product"), "drop-table"),
        (migrations.RenameField("product", "sku", "code"), "rename-column"),
        (migrations.RenameModel("Product", "Article"), "rename-table"),
        (migrations.AlterModelTable("product", "shop_product"), "rename-table"),
        (migrations.AddField("product", "weight", models.IntegerField(default=0)),
         "not-null-without-db-default"),
        (migrations.AlterField("product", "sku", models.IntegerField(unique=True)), "alter-column-type"),
        (migrations.AlterField("product", "sku", sku(max_length=8)), "alter-column-type"),
        (migrations.AlterField("product", "sku", sku(db_column="code")), "rename-column"),
        (migrations.AddIndex("product", SKU_INDEX), "index-lock"),
        (migrations.AddField("product", "barcode", models.CharField(max_length=20, null=True, unique=True)),
         "index-lock"),
        (migrations.AddConstraint("product", VERSION_POSITIVE), "constraint-lock"),
        (migrations.RunSQL("ALTER TABLE catalog_product DROP COLUMN sku"), "run-sql"),
    ],
)  # fmt: skip
def test_an_unsafe_operation_is_reported_with_its_rule_and_advice(state, operation, rule):
    found = violations(state, operation)
    assert rule in [v.rule for v in found]
    text = str(found[0])
    assert text.startswith("catalog.0099_synthetic: ")
    assert found[0].advice in text


def test_the_message_names_the_column_and_says_what_to_do(state):
    (violation,) = violations(state, migrations.RemoveField("product", "sku"))
    assert "drops column 'sku', which the running release still reads" in str(violation)
    assert "SeparateDatabaseAndState" in str(violation)


def test_making_a_nullable_column_not_null_is_unsafe(state):
    made_nullable = migrations.AlterField("category", "name", models.CharField(max_length=200, null=True))
    tightened = migrations.AlterField("category", "name", models.CharField(max_length=200))
    assert rules(state, made_nullable, tightened, app_label="categories") == ["set-not-null"]


@pytest.mark.parametrize(
    "operation",
    [
        migrations.AddField("product", "weight", models.IntegerField(null=True)),
        migrations.AddField("product", "weight", models.IntegerField(db_default=0)),
        migrations.AddField("product", "tags", models.ManyToManyField("categories.Category")),
        migrations.AlterField(
            "product", "sku", models.CharField(max_length=128, unique=True)
        ),  # longer varchar
        migrations.AlterField(
            "product", "sku", models.CharField(max_length=64, unique=True, help_text="SKU")
        ),
        migrations.AlterModelOptions("product", {"ordering": ["sku"]}),
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),
        AddIndexConcurrently("product", models.Index(fields=["sku", "version"], name="sku_version")),
        AddConstraintNotValid(
            "product", models.CheckConstraint(condition=models.Q(version__gte=0), name="v_pos")
        ),
        migrations.RemoveIndex("product", "product_listing_newest"),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField("product", "sku")]),
    ],
)
def test_a_safe_operation_passes(state, operation):
    assert violations(state, operation) == []


def test_anything_goes_on_a_table_created_in_the_same_migration(state):
    created = migrations.CreateModel("Draft", [("id", models.BigAutoField(primary_key=True))])
    assert rules(state, created,
                 migrations.AddField("draft", "title", models.CharField(max_length=50, unique=True)),
                 migrations.RenameField("draft", "title", "heading"),
                 migrations.RemoveField("draft", "heading")) == []  # fmt: skip


def test_separate_database_and_state_is_judged_by_its_database_operations(state):
    drop = migrations.SeparateDatabaseAndState(
        state_operations=[migrations.RemoveField("product", "sku")],
        database_operations=[migrations.RunSQL("ALTER TABLE catalog_product DROP COLUMN sku")],
    )
    assert rules(state, drop) == ["run-sql"]


def test_the_state_is_followed_from_one_operation_to_the_next(state):
    rename_then_drop = [
        migrations.RenameField("product", "sku", "code"),
        migrations.RemoveField("product", "code"),
    ]
    assert rules(state, *rename_then_drop) == ["rename-column", "drop-column"]
    assert "sku" in state.models["catalog", "product"].fields  # the given state is left as it was
