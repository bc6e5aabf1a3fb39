import django.db.models.deletion
from django.db import migrations, models

# Dropped by name: AlterField would make SQLite copy the whole change log to drop an index.
OBJECT_TYPE_INDEX = "core_objectchange_object_type_id_07ab74ff"  # core_change_object leads with the column
REQUEST_INDEXES = ["core_objectchange_request_id_d9d160ac", "core_objectchange_request_id_d9d160ac_like"]


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0003_source_mapping_templates"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="objectchange",
                    name="object_type",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                        to="contenttypes.contenttype",
                    ),
                ),
                migrations.AlterField(
                    model_name="objectchange",
                    name="request_id",
                    field=models.CharField(blank=True, max_length=64, verbose_name="request or job id"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {OBJECT_TYPE_INDEX}",
                    reverse_sql=f'CREATE INDEX {OBJECT_TYPE_INDEX} ON core_objectchange ("object_type_id")',
                ),
                *(
                    migrations.RunSQL(f"DROP INDEX IF EXISTS {name}", reverse_sql=migrations.RunSQL.noop)
                    for name in REQUEST_INDEXES
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="objectchange",
            index=models.Index(
                condition=~models.Q(request_id=""), fields=["request_id"], name="core_change_request"
            ),
        ),
    ]
