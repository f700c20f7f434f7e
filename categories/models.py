from __future__ import annotations

from django.db import models

#: The longest slug a category can have: a longer one names nothing (a 404 without a query).
SLUG_MAX_LENGTH = 120


class Category(models.Model):
    """A node of the category tree (an adjacency list: each category names its parent)."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveIntegerField(default=0, help_text="Order among siblings.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("position", "name")
        verbose_name_plural = "categories"
        indexes = [models.Index(fields=("parent", "position"), name="category_parent_position")]

    def __str__(self) -> str:
        return self.name
