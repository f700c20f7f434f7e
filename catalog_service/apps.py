from django.apps import AppConfig


class CatalogServiceConfig(AppConfig):
    name = "catalog_service"
    verbose_name = "Catalog service"

    def ready(self) -> None:
        from catalog_service.db import checks  # noqa: F401  (registers the system checks)
