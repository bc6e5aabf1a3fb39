from django.db import migrations, models


class Migration(migrations.Migration):
    """The running totals' index covers every column the board and the forecast sum."""

    dependencies = [("sales", "0004_board_order")]

    operations = [
        migrations.RemoveIndex(model_name="stagetotal", name="ix_stagetotal_stage"),
        migrations.AddIndex(
            model_name="stagetotal",
            index=models.Index(
                fields=[
                    "pipeline",
                    "stage",
                    "currency",
                    "owner_id_value",
                    "team_id_value",
                    "close_month",
                    "forecast_category",
                    "count",
                    "amount_cents",
                    "weighted_cents_pct",
                ],
                name="ix_stagetotal_stage",
            ),
        ),
    ]
