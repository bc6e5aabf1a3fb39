from django.db import migrations, models


class Migration(migrations.Migration):
    """Indexes for the board's filters (owner, team, expected close): a filtered column no longer walks a
    whole stage in board order to find its first twenty cards."""

    dependencies = [("sales", "0005_stagetotal_covering")]

    operations = [
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                fields=["pipeline", "stage", "owner", "-stage_entered_at", "-id"], name="ix_opp_board_owner"
            ),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                fields=["pipeline", "stage", "team", "-stage_entered_at", "-id"], name="ix_opp_board_team"
            ),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["pipeline", "stage", "expected_close_date", "id", "party"],
                name="ix_opp_board_close",),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["pipeline", "expected_close_date", "stage", "currency", "amount", "probability", "party", "owner", "team"],
                name="ix_opp_pipeline_close",),
        ),
    ]
