"""Admin of the service's own models (autodiscovered by django.contrib.admin)."""

from django.contrib import admin

from catalog_service.documents.admin import OutboxRecordAdmin
from catalog_service.documents.models import OutboxRecord

admin.site.register(OutboxRecord, OutboxRecordAdmin)
