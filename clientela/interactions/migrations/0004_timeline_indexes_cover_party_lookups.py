import django.db.models.deletion
from django.db import migrations, models

# The party and organisation foreign keys lose their own indexes: ix_party_timeline and ix_org_timeline
# lead with them. Dropped by name: AlterField would make SQLite copy the whole ledger (tens of millions of
# rows) to drop an index.
DROPPED = [
    ("interactions_interaction_party_id_69474954", "party_id"),
    ("interactions_interaction_organisation_id_6e5580c7", "organisation_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0003_credit_note_kind"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="interaction",
                    name="party",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="interactions", to="parties.party", verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="interaction",
                    name="organisation",
                    field=models.ForeignKey(
                        blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL,
                        related_name="organisation_interactions", to="parties.party", verbose_name="organisation",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    reverse_sql=f'CREATE INDEX {name} ON interactions_interaction ("{column}")',
                )
                for name, column in DROPPED
            ],
        ),
    ]
