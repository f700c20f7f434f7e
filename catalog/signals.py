"""Category writes outdate cached responses (product writes go through Product's document hooks)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from catalog.invalidation import invalidate_after_commit
from catalog.models import Product
from categories.models import Category


@receiver(pre_save, sender=Category)
def _remember_position(sender: type[Category], instance: Category, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    old = sender._default_manager.using(kwargs["using"]).filter(pk=instance.pk)
    instance._old_slug_and_parent = old.values_list("slug", "parent_id").first()


@receiver(post_save, sender=Category)
def _category_saved(
    sender: type[Category], instance: Category, created: bool, using: str, **kwargs: Any
) -> None:
    old = getattr(instance, "_old_slug_and_parent", None)
    category_ids = {instance.pk, instance.parent_id}
    slugs = {instance.slug}
    product_ids: list[int] = []
    if old is not None:
        old_slug, old_parent = old
        category_ids.add(old_parent)
        slugs.add(old_slug)
        if old_slug != instance.slug:  # product details show the slug
            product_ids = list(
                Product.objects.using(using).filter(category_id=instance.pk).values_list("pk", flat=True)
            )
    invalidate_after_commit(
        using=using, category_ids=category_ids - {None}, slugs=slugs, product_ids=product_ids
    )


@receiver(post_delete, sender=Category)
def _category_deleted(sender: type[Category], instance: Category, using: str, **kwargs: Any) -> None:
    invalidate_after_commit(using=using, category_ids={instance.parent_id} - {None}, slugs={instance.slug})
