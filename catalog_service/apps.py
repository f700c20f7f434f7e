import logging

from django.apps import AppConfig


class CatalogServiceConfig(AppConfig):
    name = "catalog_service"
    verbose_name = "Catalog service"

    def ready(self) -> None:
        from catalog_service.db import checks  # noqa: F401  (registers the system checks)
        from catalog_service.migration_safety import checks as migration_checks  # noqa: F401
        from catalog_service.security import checks as security_checks  # noqa: F401

        # Python's warnings through logging (logger "py.warnings"), so that they are JSON lines
        # like everything else the process writes, not bare text among them.
        logging.captureWarnings(True)
