from django.contrib import admin

from catalog.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "category", "is_published", "version", "updated_at")
    list_select_related = ("category",)
    list_filter = ("is_published",)
    search_fields = ("sku",)
    autocomplete_fields = ("category",)
    readonly_fields = ("version", "created_at", "updated_at")
