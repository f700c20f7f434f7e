from rest_framework import serializers

from catalog.models import Product


class ProductSerializer(serializers.ModelSerializer):
    """Every product field, document fields included, as DRF maps their Django types."""

    class Meta:
        model = Product
        fields = "__all__"
