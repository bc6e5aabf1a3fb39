from django.db import migrations, models


class Migration(migrations.Migration):
    """Board cards are read most recently moved first (keyset pages on a non-null column)."""

    dependencies = [("sales", "0003_totals")]

    operations = [
        migrations.RemoveIndex(model_name="opportunity", name="ix_opp_board"),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["pipeline", "stage", "-stage_entered_at", "-id"], name="ix_opp_board"),
        ),
    ]
