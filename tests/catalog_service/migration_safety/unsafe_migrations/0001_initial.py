"""categories' real first migration, in a migrations package the test swaps in."""

import importlib

Migration = importlib.import_module("categories.migrations.0001_initial").Migration
