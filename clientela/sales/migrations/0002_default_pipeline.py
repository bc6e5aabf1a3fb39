from django.conf import settings
from django.db import migrations
from django.utils import translation
from django.utils.translation import gettext as _

STAGES = (
    ("Qualification", 10, False, False),
    ("Needs analysis", 25, False, False),
    ("Proposal", 50, False, False),
    ("Negotiation", 75, False, False),
    ("Won", 100, True, False),
    ("Lost", 0, False, True),
)
LOST_REASONS = ("Price", "Chose a competitor", "No budget", "No decision", "Timing", "Product fit")


def seed(apps, schema_editor):
    """A working pipeline and lost reasons out of the box, named in the site's language (editable later)."""
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    LostReason = apps.get_model("sales", "LostReason")
    if Pipeline.objects.exists():
        return
    with translation.override(settings.LANGUAGE_CODE):
        pipeline = Pipeline.objects.create(name=_("New business"), is_default=True, position=0)
        for position, (name, probability, won, lost) in enumerate(STAGES):
            Stage.objects.create(
                pipeline=pipeline, name=_(name), position=position, probability=probability, is_won=won, is_lost=lost
            )
        for position, name in enumerate(LOST_REASONS):
            LostReason.objects.get_or_create(name=_(name), defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
