"""An organisation's own interactions are filed under the organisation itself (``organisation = party``),
so its timeline is one indexed range over ``organisation``; earlier rows get the same."""

from django.db import migrations
from django.db.models import F


def forwards(apps, schema_editor):
    Interaction = apps.get_model("interactions", "Interaction")
    Interaction.objects.filter(organisation__isnull=True, party__kind="organisation").update(
        organisation=F("party")
    )


class Migration(migrations.Migration):
    dependencies = [("interactions", "0001_initial"), ("parties", "0003_source_links")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
