from django.db import migrations


def create_roles(apps, schema_editor):
    from clientela.accounts.roles import BUILTIN_ROLES

    Role = apps.get_model("accounts", "Role")
    for slug, spec in BUILTIN_ROLES.items():
        Role.objects.get_or_create(slug=slug, defaults={"name": str(spec["name"]), "grants": spec["grants"]})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
