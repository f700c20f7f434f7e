from django.apps import AppConfig


class CatalogServiceConfig(AppConfig):
    name = "catalog_service"
    verbose_name = "Catalog service"
