"""An import's new customers checked against existing ones: dry-run report, review queue, switch."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from clientela.identity.models import CandidateStatus, MatchCandidate
from clientela.imports.models import ImportJob
from clientela.parties.models import Party
from clientela.testing.factories import make_person

pytestmark = pytest.mark.django_db

SHOP = (
    "id;nombre;apellidos;movil;email;nacimiento\n"
    "W-1;Pepe;Martínez;655 111 222;pepe.shop@example.es;02/05/1970\n"
    "W-2;Zoe;Quintana Ferrer;699 000 111;zoe@example.es;\n"
)
# Pepe without his mobile: no identifier in common with José, but his nickname, surname and birth date
NO_MOBILE = SHOP.replace("655 111 222", "")
MAPPING = (
    '{"columns": {"id": "external_id", "nombre": "given_name", "apellidos": "family_name", '
    '"movil": "mobile", "email": "email", "nacimiento": "birth_date"}, '
    '"options": {"delimiter": ";", "date_format": "%d/%m/%Y"}}'
)


@pytest.fixture
def jose(admin_user):
    return make_person(
        admin_user,
        given_names="José",
        family_name_1="Martínez",
        family_name_2="Ruiz",
        birth_date=dt.date(1970, 5, 2),
        contact_points=[{"kind": "mobile", "value": "+34 655 111 222"}],
    )


def run(tmp_path: Path, *extra: str, text: str = SHOP) -> tuple[str, ImportJob]:
    path = tmp_path / "tienda.csv"
    path.write_text(text, encoding="utf-8")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(MAPPING, encoding="utf-8")
    out = StringIO()
    call_command(
        "import",
        str(path),
        "--source",
        "Tienda",
        "--mapping",
        str(mapping),
        *extra,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue(), ImportJob.objects.latest("pk")


def test_a_row_matched_exactly_is_not_a_possible_duplicate(tmp_path, jose):
    _out, job = run(tmp_path)
    assert job.created == 1 and job.matched == 1  # the mobile attached Pepe's row to José exactly
    assert job.possible_duplicates == 0  # ... so no new customer looks like José
    assert not MatchCandidate.objects.exists()


def test_new_customers_that_look_like_existing_ones_are_reported_and_queued(tmp_path, jose):
    out, job = run(tmp_path, text=NO_MOBILE)
    assert job.created == 2 and job.matched == 0
    assert job.possible_duplicates == 1
    sample = job.duplicate_samples[0]
    new = Party.objects.get(pk=sample["party_id"])
    assert sample["line"] == 2 and new.given_names == "Pepe"
    assert sample["matches"][0]["party_id"] == jose.pk
    assert "1 new customer may already exist (queued in the duplicates review)" in out
    candidate = MatchCandidate.objects.get(status=CandidateStatus.OPEN)
    assert {candidate.party_a_id, candidate.party_b_id} == {jose.pk, new.pk}
    assert candidate.explanation and candidate.score >= 0.5


def test_a_dry_run_reports_them_and_saves_nothing(tmp_path, jose):
    before = Party.objects.count()
    out, job = run(tmp_path, "--dry-run", text=NO_MOBILE)
    assert job.dry_run and job.possible_duplicates == 1
    assert job.duplicate_samples[0]["party_id"] is None
    assert job.duplicate_samples[0]["matches"][0]["party_id"] == jose.pk
    assert "1 new customer may already exist:" in out and f"#{jose.pk}" in out
    assert Party.objects.count() == before and not MatchCandidate.objects.exists()


def test_the_check_can_be_switched_off(tmp_path, jose, settings):
    settings.CLIENTELA_IMPORT_DUPLICATE_CHECK = False
    _out, job = run(tmp_path, text=NO_MOBILE)
    assert job.created == 2 and job.possible_duplicates == 0 and not MatchCandidate.objects.exists()


def test_the_job_page_lists_them(tmp_path, jose, admin_user, client_for):
    _out, job = run(tmp_path, text=NO_MOBILE)
    html = client_for(admin_user).get(f"/imports/{job.pk}/").content.decode()
    assert "1 new customer may already exist" in html and jose.display_name in html
