"""`clientela bootstrap`: roles, admin and a one-time demo load, safe to repeat on every `make run`."""

from __future__ import annotations

import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clientela.accounts.models import Role, User
from clientela.accounts.roles import BUILTIN_ROLES
from clientela.parties.models import Party
from clientela.testing.factories import make_person


@pytest.fixture
def boot_env(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing for tests
    monkeypatch.delenv("CLIENTELA_ADMIN_PASSWORD", raising=False)
    monkeypatch.setenv("CLIENTELA_DEMO_PEOPLE", "12")
    monkeypatch.setenv("CLIENTELA_DEMO_ORGS", "4")
    monkeypatch.setenv("CLIENTELA_DEMO_ISLANDS", "0")
    return tmp_path


def bootstrap() -> str:
    out = StringIO()
    call_command("bootstrap", stdout=out)
    return out.getvalue()


def test_bootstrap_twice_keeps_one_admin_one_password_and_one_demo(db, boot_env):
    first = bootstrap()
    password_file = boot_env / "admin_password"
    password = password_file.read_text().strip()
    assert len(password) >= 16
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert f"Clientela is ready: open http://127.0.0.1:8000 and sign in as admin / {password}" in first
    assert Party.objects.count() == 16
    users = User.objects.count()

    second = bootstrap()
    assert password_file.read_text().strip() == password
    assert f"sign in as admin / {password}" in second
    assert "already loaded" in second
    assert Party.objects.count() == 16
    assert User.objects.count() == users

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.role.slug == "administrator"
    assert admin.teams.exists()
    assert admin.check_password(password)
    assert set(Role.objects.values_list("slug", flat=True)) >= set(BUILTIN_ROLES)


def test_demo_is_not_loaded_again_after_its_customers_are_deleted(db, boot_env):
    bootstrap()
    Party.all_objects.all().delete()
    bootstrap()
    assert not Party.all_objects.exists()


def test_password_from_the_environment_wins_and_is_not_printed(db, boot_env, monkeypatch):
    bootstrap()
    monkeypatch.setenv("CLIENTELA_ADMIN_PASSWORD", "Env-Secret-123")
    out = bootstrap()
    assert User.objects.get(username="admin").check_password("Env-Secret-123")
    assert "Env-Secret-123" not in out
    assert "CLIENTELA_ADMIN_PASSWORD" in out


def test_a_password_changed_in_the_app_is_kept(db, boot_env):
    bootstrap()
    admin = User.objects.get(username="admin")
    admin.set_password("Changed-By-Admin-1")
    admin.save()
    out = bootstrap()
    assert User.objects.get(username="admin").check_password("Changed-By-Admin-1")
    assert "password was changed" in out


def test_no_demo_when_customers_exist_or_when_disabled(db, boot_env, monkeypatch):
    make_person()
    out = bootstrap()
    assert Party.objects.count() == 1
    assert "already has customers" in out

    Party.all_objects.all().delete()
    monkeypatch.setenv("CLIENTELA_DEMO_PEOPLE", "0")
    monkeypatch.setenv("CLIENTELA_DEMO_ORGS", "0")
    bootstrap()
    assert not Party.objects.exists()


def test_bad_demo_size_is_a_command_error(db, boot_env, monkeypatch):
    monkeypatch.setenv("CLIENTELA_DEMO_PEOPLE", "lots")
    with pytest.raises(CommandError, match="CLIENTELA_DEMO_PEOPLE"):
        bootstrap()


def test_first_demo_has_timelines_of_about_twenty_interactions_per_customer(db, boot_env, monkeypatch):
    from clientela.interactions.models import Interaction, PartyStats

    out = bootstrap()
    assert Interaction.objects.count() == 20 * 16
    assert PartyStats.objects.filter(interaction_count__gt=0).exists()
    assert "320 interactions in " in out
    bootstrap()
    assert Interaction.objects.count() == 320  # loaded once


def test_interactions_of_the_first_demo_can_be_set_or_turned_off(db, boot_env, monkeypatch):
    from clientela.interactions.models import Interaction

    monkeypatch.setenv("CLIENTELA_DEMO_INTERACTIONS", "-3")
    with pytest.raises(CommandError, match="CLIENTELA_DEMO_INTERACTIONS"):
        bootstrap()
    monkeypatch.setenv("CLIENTELA_DEMO_INTERACTIONS", "0")
    bootstrap()
    assert Party.objects.count() == 16 and not Interaction.objects.exists()


def test_first_demo_imports_three_islands_into_customers_assembled_from_them(db, boot_env, monkeypatch):
    from django.db.models import Count

    from clientela.imports.models import ImportJob, Status
    from clientela.interactions.models import Interaction
    from clientela.parties.models import SourceLink

    monkeypatch.setenv("CLIENTELA_DEMO_ISLANDS", "30")
    out = bootstrap()
    assert "Imported finance/clientes.csv from Contabilidad" in out
    jobs = ImportJob.objects.all()
    assert jobs.count() == 7 and set(jobs.values_list("status", flat=True)) == {Status.DONE}
    # some customers are known to two departments: one customer, a link from each source
    joined = (
        SourceLink.objects.values("party").annotate(n=Count("source", distinct=True)).filter(n__gte=2).count()
    )
    assert joined >= 5
    sources = Interaction.objects.values("party").annotate(n=Count("source", distinct=True))
    assert sources.filter(n__gte=2).exists()
    assert (boot_env / "islands" / "finance" / "clientes.csv").exists()
