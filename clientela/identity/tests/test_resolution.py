"""Duplicate detection runs over the database: the review queue, automatic merges, the command."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.cli import main as cli_main
from clientela.identity.matching import synthetic
from clientela.identity.models import CandidateStatus, MatchCandidate, Merge, ResolutionRun, RunStatus
from clientela.identity.resolution import Progress, party_records, resolve_run
from clientela.identity.selectors import next_cursor, review_queue
from clientela.identity.services import pair_mark_distinct
from clientela.identity.tasks import resolution_start
from clientela.parties.models import Party, SourceLink
from clientela.parties.services import party_update
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db

SYSTEM = actor_for(None)


def email(value: str, primary: bool = True) -> dict:
    return {"kind": "email", "value": value, "is_primary": primary}


def phone(kind: str, value: str, primary: bool = True) -> dict:
    return {"kind": kind, "value": value, "is_primary": primary}


def address(street: str, postal_code: str, city: str) -> dict:
    return {"kind": "address", "street": street, "postal_code": postal_code, "city": city, "is_primary": True}


ORG_WORDS = [
    "Construcciones",
    "Talleres",
    "Distribuciones",
    "Transportes",
    "Hostelería",
    "Reformas",
    "Consultoría",
    "Suministros",
    "Gráficas",
    "Muebles",
    "Electricidad",
    "Fontanería",
]
LEGAL_FORMS = ["S.L.", "S.A.", "SL", "SLU", "S.Coop."]


def population(n: int, orgs: int = 30, seed: int = 7) -> None:
    """``n`` distinct people and ``orgs`` organisations with their own contacts: what the matcher learns
    from (a fit on a handful of records has nothing to estimate how rare an agreement is)."""
    rng = random.Random(seed)
    for i in range(orgs):
        make_organisation(
            legal_name=f"{rng.choice(ORG_WORDS)} {rng.choice(synthetic.FAMILY)} {i} {rng.choice(LEGAL_FORMS)}",
            contact_points=[
                phone("landline", f"+34 91{rng.randrange(10**6, 10**7)}"),
                email(f"pedidos@empresa{i}.es"),
                address(
                    f"Calle {rng.choice(synthetic.STREETS)} {rng.randrange(1, 200)}",
                    f"{rng.randrange(1000, 52999):05d}",
                    rng.choice(synthetic.CITIES),
                ),
            ],
        )
    for i in range(n):
        given = rng.choice(synthetic.GIVEN)
        family = f"{rng.choice(synthetic.FAMILY)} {rng.choice(synthetic.FAMILY)}"
        f1, f2 = family.split(" ", 1)
        make_person(
            given_names=given,
            family_name_1=f1,
            family_name_2=f2,
            birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000)),
            contact_points=[
                email(f"{synthetic._strip_accents(given).lower()}.{i}@example{i % 7}.es"),
                phone("mobile", f"+34 6{rng.randrange(10**7, 10**8)}"),
                address(
                    f"Calle {rng.choice(synthetic.STREETS)} {rng.randrange(1, 200)}",
                    f"{rng.randrange(1000, 52999):05d}",
                    rng.choice(synthetic.CITIES),
                ),
            ],
        )


@pytest.fixture
def scenario(erp, shop):
    population(120)
    p = {}
    p["ana_erp"] = make_person(
        given_names="Ana",
        family_name_1="García",
        family_name_2="López",
        contact_points=[email("ana.garcia.lopez@gmail.com"), phone("mobile", "+34 612 345 678")],
    )
    p["ana_shop"] = make_person(
        given_names="Ana",
        family_name_1="Garcia",
        family_name_2="",
        contact_points=[email("Ana.Garcia.Lopez@GMAIL.com")],
    )
    p["jose_erp"] = make_person(
        given_names="José",
        family_name_1="Martínez",
        family_name_2="Ruiz",
        birth_date=dt.date(1970, 5, 2),
        contact_points=[phone("mobile", "+34 655 111 222")],
    )
    p["pepe_shop"] = make_person(
        given_names="Pepe",
        family_name_1="Martínez",
        family_name_2="",
        contact_points=[phone("mobile", "655111222"), email("pepe.mr@hotmail.com")],
    )
    p["org_erp"] = make_organisation(
        legal_name="Construcciones Pérez S.L.",
        contact_points=[phone("landline", "+34 915 551 234"), address("Calle Mayor 5", "28013", "Madrid")],
    )
    p["org_shop"] = make_organisation(
        legal_name="CONSTRUCCIONES PEREZ SL",
        contact_points=[phone("landline", "915551234"), email("pedidos@construccionesperez.es")],
    )
    p["luis"] = make_person(
        given_names="Luis",
        family_name_1="Fernández",
        family_name_2="Gil",
        contact_points=[phone("landline", "+34 913 334 455"), address("Calle Olmo 3", "28005", "Madrid")],
    )
    p["maria"] = make_person(
        given_names="María",
        family_name_1="Fernández",
        family_name_2="Gil",
        contact_points=[phone("landline", "+34 913 334 455"), address("Calle Olmo 3", "28005", "Madrid")],
    )
    p["carlos"] = make_person(
        given_names="Carlos",
        family_name_1="Sanz",
        family_name_2="Vidal",
        contact_points=[email("info@talleresnorte.es")],
    )
    p["elena"] = make_person(
        given_names="Elena",
        family_name_1="Ortega",
        family_name_2="Núñez",
        contact_points=[email("info@talleresnorte.es")],
    )
    for key, source, ext in [
        ("ana_erp", erp, "C-1"),
        ("jose_erp", erp, "C-2"),
        ("org_erp", erp, "C-3"),
        ("ana_shop", shop, "8812"),
        ("pepe_shop", shop, "8813"),
        ("org_shop", shop, "8814"),
    ]:
        SourceLink.objects.create(source=source, external_id=ext, party=p[key])
    return p


def key(scenario: dict, a: str, b: str) -> tuple[int, int]:
    return tuple(sorted((scenario[a].pk, scenario[b].pk)))  # type: ignore[return-value]


def open_pairs() -> dict[tuple[int, int], MatchCandidate]:
    return {
        (c.party_a_id, c.party_b_id): c for c in MatchCandidate.objects.filter(status=CandidateStatus.OPEN)
    }


def run(**kw) -> ResolutionRun:
    options = {"actor": SYSTEM, "auto_merge": False, "merge_threshold": None, "review_threshold": None, **kw}
    return resolve_run(**options)


# --- Reading parties -----------------------------------------------------------------------------------------


def test_party_records_map_names_contacts_and_source_ids(erp):
    org = make_organisation(legal_name="", trade_name="Frutas Ruiz", tax_id="B12345674")
    person = make_person(
        given_names="Ana",
        family_name_1="García",
        family_name_2="López",
        birth_date=dt.date(1980, 2, 3),
        contact_points=[
            email("Ana@Example.com"),
            phone("mobile", "+34 612 345 678"),
            phone("landline", "+34 915 551 234"),
            address("Calle Mayor 5", "28013", "Madrid"),
            {"kind": "social", "social_network": "linkedin", "value": "anagarcia"},
        ],
    )
    SourceLink.objects.create(source=erp, external_id="C-7", party=person)
    gone = make_person(given_names="Borrada")
    Party.objects.filter(pk=gone.pk).update(deleted_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))

    records = {r.id: r for r in party_records()}
    assert set(records) == {str(org.pk), str(person.pk)}  # the recycle bin is not matched
    r = records[str(person.pk)]
    assert (r.kind, r.given_name, r.family_name, r.birth_date) == (
        "person",
        "Ana",
        "García López",
        dt.date(1980, 2, 3),
    )
    assert r.emails == ("ana@example.com",)
    assert set(r.phones) == {"+34612345678", "+34915551234"} and r.mobiles == ("+34612345678",)
    assert (r.street, r.postal_code, r.city) == ("Calle Mayor 5", "28013", "Madrid")
    assert len(r.handles) == 1 and "anagarcia" in r.handles[0]
    assert r.external_ids == ((str(erp.pk), "C-7"),)
    o = records[str(org.pk)]
    assert (o.kind, o.organisation_name, o.tax_id) == ("organisation", "Frutas Ruiz", org.tax_id)
    assert [r.id for r in party_records([person.pk, gone.pk])] == [str(person.pk)]


def test_party_records_queries_per_chunk_do_not_depend_on_the_data(erp):
    for i in range(6):
        # some parties with many contact points and links, some with none
        contacts = [email(f"p{i}.{j}@example.com", primary=j == 0) for j in range(i)]
        party = make_person(given_names=f"P{i}", contact_points=contacts)
        if i % 2:
            SourceLink.objects.create(source=erp, external_id=f"X{i}", party=party)
    with CaptureQueriesContext(connection) as ctx:
        records = list(party_records(chunk=3))
    assert len(records) == 6
    assert len(ctx.captured_queries) == 2 * 3 + 1  # parties, contacts, links per chunk; an empty last read
    with CaptureQueriesContext(connection) as ctx:
        assert len(list(party_records(chunk=5000))) == 6
    assert len(ctx.captured_queries) == 3 + 1


# --- Runs ----------------------------------------------------------------------------------------------------


def test_run_queues_real_duplicates_and_leaves_households_and_shared_mailboxes_alone(scenario, admin_user):
    seen: list[Progress] = []
    result = run(progress=seen.append)

    assert result.status == RunStatus.DONE and result.finished_at is not None
    assert result.parties == 160
    assert result.candidate_pairs >= 3
    assert result.clusters == 2  # Ana and José/Pepe are sure; the company is likely, not sure
    assert result.review_pairs == 3 and result.merged == result.failed_merges == 0
    assert result.parameters["fields"] and result.parameters["n_records"] == 160
    assert {p.stage for p in seen} >= {"read", "match", "queue", "merge"}

    pairs = open_pairs()
    assert set(pairs) == {key(scenario, "ana_erp", "ana_shop"), key(scenario, "jose_erp", "pepe_shop"),
                          key(scenario, "org_erp", "org_shop")}  # fmt: skip
    assert pairs[key(scenario, "ana_erp", "ana_shop")].score >= 0.99
    assert 0.5 <= pairs[key(scenario, "org_erp", "org_shop")].score < 0.99
    pepe = pairs[key(scenario, "jose_erp", "pepe_shop")]
    fields = {e["field"]: e for e in pepe.explanation}
    assert fields["given_name"]["level"] == "nickname" and fields["phone"]["level"] == "exact_mobile"
    assert fields["total"]["match_probability"] == pytest.approx(pepe.score)
    assert pepe.weight == pytest.approx(fields["total"]["weight"]) and pepe.run_id == result.pk
    assert Merge.objects.count() == 0

    with CaptureQueriesContext(connection) as ctx:
        page = review_queue(user=admin_user, limit=2)
        names = [(c.party_a.display_name, c.party_b.display_name) for c in page]
    assert len(ctx.captured_queries) == 1 and len(names) == 2
    assert page[0].score >= page[1].score
    rest = review_queue(user=admin_user, limit=2, cursor=next_cursor(page))
    assert [c.pk for c in rest] == [pairs[key(scenario, "org_erp", "org_shop")].pk]


def test_review_queue_shows_only_pairs_the_user_may_see(scenario, users):
    rep = users["sales_rep"]
    party_update(actor=actor_for(users["administrator"]), party=scenario["org_erp"], data={"owner": rep.pk})
    party_update(actor=actor_for(users["administrator"]), party=scenario["org_shop"], data={"owner": rep.pk})
    party_update(actor=actor_for(users["administrator"]), party=scenario["ana_erp"], data={"owner": rep.pk})
    run()
    assert [(c.party_a_id, c.party_b_id) for c in review_queue(user=rep, limit=10)] == [
        key(scenario, "org_erp", "org_shop")
    ]
    assert review_queue(user=users["sales_rep_b"], limit=10) == []


def test_rerun_updates_open_candidates_instead_of_duplicating_them(scenario):
    first = run()
    before = {pair: c.pk for pair, c in open_pairs().items()}
    second = run()
    after = open_pairs()
    assert {pair: c.pk for pair, c in after.items()} == before
    assert {c.run_id for c in after.values()} == {second.pk}
    assert MatchCandidate.objects.count() == 3 and first.pk != second.pk


def test_auto_merge_folds_each_cluster_into_its_oldest_party(scenario):
    result = run(auto_merge=True)

    assert (result.clusters, result.merged, result.failed_merges, result.review_pairs) == (2, 2, 0, 1)
    for survivor, merged in (("ana_erp", "ana_shop"), ("jose_erp", "pepe_shop")):
        merge = Merge.objects.get(merged_pk=scenario[merged].pk)
        assert merge.survivor_pk == scenario[survivor].pk  # the older record survives
        assert merge.score >= 0.99 and merge.explanation["run"] == result.pk
        assert {e["field"] for e in merge.explanation["fields"]} >= {"given_name", "email", "total"}
        assert not Party.objects.filter(pk=scenario[merged].pk).exists()
    merged = MatchCandidate.objects.filter(status=CandidateStatus.MERGED)
    assert {(c.party_a_id, c.party_b_id) for c in merged} == {
        key(scenario, "ana_erp", "ana_shop"), key(scenario, "jose_erp", "pepe_shop")
    }  # fmt: skip
    assert set(open_pairs()) == {key(scenario, "org_erp", "org_shop")}
    # the shop's ids now lead to the surviving customers
    assert SourceLink.objects.get(external_id="8812").party_id == scenario["ana_erp"].pk

    again = run(auto_merge=True)
    assert (again.parties, again.clusters, again.merged) == (158, 0, 0)
    assert MatchCandidate.objects.count() == 3


def test_auto_merge_decides_the_pairs_an_earlier_run_queued(scenario):
    run()
    queued = open_pairs()
    result = run(auto_merge=True)
    assert result.merged == 2
    ana = queued[key(scenario, "ana_erp", "ana_shop")]
    ana.refresh_from_db()
    assert ana.status == CandidateStatus.MERGED and ana.run_id == result.pk and ana.decided_at is not None
    assert MatchCandidate.objects.count() == 3  # decided in place: no second row, nothing skipped
    assert not MatchCandidate.objects.filter(status=CandidateStatus.SKIPPED).exists()


def test_a_failed_merge_is_counted_queued_and_does_not_stop_the_run(scenario, users):
    # a sales rep may merge only their own customers: these belong to nobody
    result = run(actor=actor_for(users["sales_rep"]), auto_merge=True)
    assert result.status == RunStatus.DONE
    assert (result.merged, result.failed_merges, result.review_pairs) == (0, 2, 3)
    assert "2 merges failed" in result.message
    assert len(open_pairs()) == 3 and Merge.objects.count() == 0


def test_pairs_marked_not_the_same_come_back_only_when_their_data_change(scenario):
    run()
    org_pair = key(scenario, "org_erp", "org_shop")
    pair_mark_distinct(actor=SYSTEM, a=scenario["org_erp"], b=scenario["org_shop"])
    # a sure pair marked distinct is neither merged nor queued
    pair_mark_distinct(actor=SYSTEM, a=scenario["ana_erp"], b=scenario["ana_shop"])

    result = run(auto_merge=True)
    assert result.merged == 1  # José and Pepe only
    assert set(open_pairs()) == set()
    old = MatchCandidate.objects.get(party_a_id=org_pair[0], party_b_id=org_pair[1])
    assert old.status == CandidateStatus.NOT_DUPLICATE
    assert run().review_pairs == 0

    party_update(actor=SYSTEM, party=scenario["org_shop"], data={"trade_name": "Pérez Obras"})
    run()
    assert set(open_pairs()) == {org_pair}


# --- The command and the background task ---------------------------------------------------------------------


def test_resolve_command_prints_a_summary(scenario):
    out, err = _call("resolve")
    assert "160 customers read" in out
    assert "2 groups of duplicates, 3 pairs queued for review, 0 merged, 0 failed merges." in out
    assert "matching" in err
    out, _err = _call("resolve", "--auto-merge", "--merge-threshold", "0.995", "--review-threshold", "0.6")
    assert "2 merged" in out
    run_row = ResolutionRun.objects.first()
    assert run_row is not None and (run_row.merge_threshold, run_row.review_threshold) == (0.995, 0.6)


def _call(*args: str) -> tuple[str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--merge-threshold", "1.5"], "between 0 and 1"),
        (["--review-threshold", "-0.1"], "between 0 and 1"),
        (["--merge-threshold", "0.7", "--review-threshold", "0.8"], "cannot be higher"),
    ],
)
def test_resolve_command_refuses_bad_thresholds(args, message):
    with pytest.raises(CommandError, match=message):
        _call("resolve", *args)
    assert not ResolutionRun.objects.exists()


def test_resolve_command_exits_non_zero_without_a_traceback(capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main(["resolve", "--merge-threshold", "2"])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "between 0 and 1" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exc:
        cli_main(["resolve", "--merge-threshold", "high"])
    assert exc.value.code == 2


def test_settings_give_the_defaults(scenario, settings):
    settings.CLIENTELA_IDENTITY_MERGE_THRESHOLD = 0.95
    settings.CLIENTELA_IDENTITY_REVIEW_THRESHOLD = 0.3
    settings.CLIENTELA_IDENTITY_AUTO_MERGE = True
    _call("resolve")
    result = ResolutionRun.objects.get()
    assert (result.merge_threshold, result.review_threshold, result.auto_merge) == (0.95, 0.3, True)
    assert result.merged == 3  # the company too, now
    settings.CLIENTELA_IDENTITY_REVIEW_THRESHOLD = 0.99
    with pytest.raises(ValidationError):
        run()


def test_resolution_start_runs_in_the_background_after_commit(
    scenario, users, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(Exception, match="role"):
        resolution_start(actor=actor_for(users["support_agent"]))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        started = resolution_start(actor=actor_for(users["administrator"]), auto_merge=False)
    assert started.status == RunStatus.PENDING and len(callbacks) == 1
    callbacks[0]()
    started.refresh_from_db()
    assert started.status == RunStatus.DONE and started.review_pairs == 3
    assert started.created_by == users["administrator"]
