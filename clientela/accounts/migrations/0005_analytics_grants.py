from django.db import migrations


def add_missing_object_types(apps, schema_editor):
    from clientela.accounts.roles import BUILTIN_ROLES

    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(slug__in=list(BUILTIN_ROLES)):
        missing = {k: v for k, v in BUILTIN_ROLES[role.slug]["grants"].items() if k not in role.grants}
        if missing:
            role.grants = {**role.grants, **missing}
            role.save(update_fields=["grants"])


class Migration(migrations.Migration):
    """Grants of the analytics object types (analytics, segment)."""

    dependencies = [("accounts", "0004_sales_grants")]
    operations = [migrations.RunPython(add_missing_object_types, migrations.RunPython.noop)]
