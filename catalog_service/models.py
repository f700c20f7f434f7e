"""Models of the cross-cutting machinery, registered under the catalog_service app."""

from catalog_service.documents.models import OutboxRecord

__all__ = ["OutboxRecord"]
