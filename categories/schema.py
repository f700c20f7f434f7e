"""Serializers that describe the category endpoints' responses in the OpenAPI schema (the views
build plain dicts; these only document them)."""

from __future__ import annotations

from rest_framework import serializers


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    url = serializers.URLField()
    products_url = serializers.URLField()


class CategoryTreeNodeSerializer(CategoryRefSerializer):
    children = serializers.ListField(
        child=serializers.DictField(), help_text="Nodes of the same shape, nested."
    )


class CategoryDetailSerializer(CategoryRefSerializer):
    ancestors = CategoryRefSerializer(many=True, help_text="From the root down to the parent (breadcrumbs).")
    children = CategoryRefSerializer(many=True)
