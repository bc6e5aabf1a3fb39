import django.db.models.deletion
from django.db import migrations, models

# Indexes nothing reads, or that a composite index already covers, are dropped by name: AlterField
# would make SQLite copy the whole table (millions of contact points) to drop an index.
DROPPED = {
    "parties_contactpoint": [
        ("parties_contactpoint_created_at_4f32a2c6", "created_at"),
        ("parties_contactpoint_updated_at_8e85b549", "updated_at"),
        ("parties_contactpoint_party_id_484e083f", "party_id"),
    ],
    "parties_relationship": [
        ("parties_relationship_created_at_599854c1", "created_at"),
        ("parties_relationship_updated_at_92b02e5a", "updated_at"),
        ("parties_relationship_organisation_id_23a43532", "organisation_id"),
    ],
}


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0005_party_deleted_partial_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="contactpoint",
                    name="created_at",
                    field=models.DateTimeField(auto_now_add=True, verbose_name="created"),
                ),
                migrations.AlterField(
                    model_name="contactpoint",
                    name="party",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="contact_points", to="parties.party", verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="contactpoint",
                    name="updated_at",
                    field=models.DateTimeField(auto_now=True, verbose_name="updated"),
                ),
                migrations.AlterField(
                    model_name="relationship",
                    name="created_at",
                    field=models.DateTimeField(auto_now_add=True, verbose_name="created"),
                ),
                migrations.AlterField(
                    model_name="relationship",
                    name="organisation",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="members", to="parties.party", verbose_name="organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="relationship",
                    name="updated_at",
                    field=models.DateTimeField(auto_now=True, verbose_name="updated"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}", reverse_sql=f'CREATE INDEX {name} ON {table} ("{column}")'
                )
                for table, indexes in DROPPED.items()
                for name, column in indexes
            ],
        ),
    ]
