from django.db import migrations, models

# The plain index on deleted_at became a partial one (recycle bin only). The old index is dropped by
# name rather than by AlterField, which on SQLite would copy the whole customer table to drop it.
OLD_INDEX = "parties_party_deleted_at_55b6ef2c"


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0004_search_cards"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="party",
                    name="deleted_at",
                    field=models.DateTimeField(blank=True, null=True, verbose_name="deleted"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f"DROP INDEX IF EXISTS {OLD_INDEX}", reverse_sql=migrations.RunSQL.noop),
            ],
        ),
        migrations.AddIndex(
            model_name="party",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", False)), fields=["deleted_at"], name="party_deleted_idx"
            ),
        ),
    ]
