"""python manage.py reconcile_documents [--repair]: find (and fix) drift between rows and documents."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog_service.db.config import PRIMARY_ALIAS
from catalog_service.documents.base import DocumentModel
from catalog_service.documents.client import get_collection
from catalog_service.documents.reconcile import DEFAULT_BATCH_SIZE, ReconcileReport, reconcile
from catalog_service.progress import Progress

SHOWN_IDS = 20


class Command(BaseCommand):
    help = (
        "Compare each document model's rows with its MongoDB documents, in batches, and report "
        "missing, stale and orphaned documents; --repair fixes them from the outbox."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="fix the drift found")
        parser.add_argument(
            "--model", action="append", help="app_label.Model (default: every document model)"
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--check", action="store_true", help="exit with status 1 when drift remains (for monitoring)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        remaining = 0
        for model in self._models(options["model"]):
            # Rows, then documents: an estimate of both is the walk's length.
            total = model._default_manager.using(PRIMARY_ALIAS).count()
            total += get_collection(model).estimated_document_count()
            with Progress(
                f"reconciling {model._meta.label}", total, "rows and documents", self.stderr
            ) as bar:
                report = reconcile(
                    model, repair=options["repair"], batch_size=options["batch_size"], progress=bar.advance
                )
            self._print(report, repaired=options["repair"])
            # Dead letters are never repaired here: a person decides (fix the product, requeue).
            remaining += (
                len(report.unrepairable) + len(report.dead_lettered) if options["repair"] else report.drift
            )
        if options["check"] and remaining:
            raise SystemExit(1)

    def _models(self, labels: list[str] | None) -> list[type[DocumentModel]]:
        if not labels:
            return [m for m in apps.get_models() if issubclass(m, DocumentModel)]
        models = []
        for label in labels:
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError) as exc:
                raise CommandError(f"--model {label}: {exc}") from exc
            if not issubclass(model, DocumentModel):
                raise CommandError(f"--model {label}: not a model with document fields")
            models.append(model)
        return models

    def _print(self, report: ReconcileReport, *, repaired: bool) -> None:
        def ids(values: list[int]) -> str:
            shown = ", ".join(str(v) for v in values[:SHOWN_IDS])
            more = f", … {len(values) - SHOWN_IDS} more" if len(values) > SHOWN_IDS else ""
            return f" ({shown}{more})" if values else ""

        self.stdout.write(f"{report.model_label}: {report.rows} rows, {report.documents} documents")
        self.stdout.write(f"  missing: {len(report.missing)}{ids(report.missing)}")
        self.stdout.write(f"  stale: {len(report.stale)}{ids(report.stale)}")
        self.stdout.write(f"  orphaned: {len(report.orphaned)}{ids(report.orphaned)}")
        self.stdout.write(f"  pending in the outbox (left to the relay): {len(report.pending)}")
        dead = list(report.dead_lettered)
        self.stdout.write(f"  dead-lettered in the outbox (the relay gave up): {len(dead)}{ids(dead)}")
        for pk in dead[:SHOWN_IDS]:
            self.stdout.write(f"    #{pk}: {report.dead_lettered[pk][:200]}")
        if repaired:
            self.stdout.write(f"  repaired: {report.repaired}")
            if report.unrepairable:
                count = len(report.unrepairable)
                self.stdout.write(f"  unrepairable (no recorded document): {count}{ids(report.unrepairable)}")
        style = self.style.SUCCESS if not report.drift else self.style.WARNING
        self.stdout.write(style(f"  drift: {report.drift}"))
