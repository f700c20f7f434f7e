"""Outbox records rejected by MongoDB are counted and, past a limit, dead-lettered; each record
names the fields its write changed. All three columns are safe under the running release: the
counter has a database default, the others are nullable."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog_service", "0002_catalog_editor_group"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxrecord",
            name="rejections",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="outboxrecord",
            name="dead_lettered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="outboxrecord",
            name="changed_fields",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
