"""The opportunities step of the demo generator: ``--opportunities N`` deals with their stage history.

Each deal belongs to a customer of this run (or of the database), is owned by a demo salesperson (and
their team), opened at a random time over the last two years, and walks the default pipeline's open
stages one by one: at each stage it either moves on, is lost (with a managed reason) or, when it is
recent, is still there. Older deals are mostly closed; recent ones mostly open, which gives the board, the
forecast and the historical conversion rates realistic material. Rows (the opportunity and one
``StageChange`` per stage entered) are written with the bulk writer; the running board totals are
rebuilt once at the end, and the forecast's historical conversion rates computed. Timeline entries are not
generated for demo deals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import time
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clientela.core.bulk import TableWriter
from clientela.demo.generator import DemoContext, DemoStep, count_option
from clientela.parties.models import Party
from clientela.sales.choices import ForecastCategory, OpportunityStatus
from clientela.sales.models import LostReason, Opportunity, Pipeline, Stage, StageChange

MAX_OPPORTUNITIES = 20_000_000
PER_TRANSACTION = 10_000
DAY = 86_400.0
HISTORY_DAYS = 730
# chance of moving on from each open stage (the rest are lost there, or still open when recent)
ADVANCE = 0.7
WIN_FROM_LAST = 0.55
PRODUCTS = (
    "Renovación de licencias",
    "Implantación CRM",
    "Mantenimiento anual",
    "Flota de vehículos",
    "Consultoría",
    "Formación",
    "Ampliación de contrato",
    "Suministro de material",
    "Licencias adicionales",
    "Soporte premium",
)
CURRENCIES = (("EUR", 0.86), ("USD", 0.09), ("MXN", 0.05))

OPP_COLUMNS = (
    "name",
    "party",
    "pipeline",
    "stage",
    "status",
    "amount",
    "currency",
    "probability",
    "forecast_category",
    "expected_close_date",
    "next_step",
    "lost_reason",
    "owner",
    "team",
    "stage_entered_at",
    "closed_at",
    "created_at",
)
CHANGE_COLUMNS = (
    "opportunity",
    "pipeline",
    "from_stage",
    "to_stage",
    "status",
    "changed_at",
    "changed_by",
    "seconds_in_from_stage",
    "amount",
    "currency",
    "probability",
)


class OpportunitiesStep(DemoStep):
    """``--opportunities N`` deals over the customers of this run (or, when it makes none, all of them)."""

    name = "opportunities"

    def __init__(self, count: int) -> None:
        self.count = count

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--opportunities",
            default="0",
            metavar="N",
            help=_("Sales opportunities with their stage history on the default pipeline; default 0."),
        )

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> OpportunitiesStep | None:
        count = count_option(options.get("opportunities", 0), "--opportunities", maximum=MAX_OPPORTUNITIES)
        return cls(count) if count else None

    def run(self, ctx: DemoContext) -> None:
        from clientela.sales.totals import totals_rebuild

        started = time.perf_counter()
        pipeline = Pipeline.objects.filter(is_default=True).first()
        if pipeline is None:
            ctx.say(_("No default pipeline: no opportunities made."))
            return
        stages = list(Stage.objects.filter(pipeline=pipeline, is_active=True).order_by("position", "pk"))
        open_stages = [s for s in stages if not s.is_won and not s.is_lost]
        won = next((s for s in stages if s.is_won), None)
        lost = next((s for s in stages if s.is_lost), None)
        if not open_stages or won is None or lost is None:
            ctx.say(_("The default pipeline needs open, won and lost stages: no opportunities made."))
            return
        targets = ctx.party_ids if len(ctx.party_ids) else list(Party.objects.values_list("pk", flat=True))
        owners = [(m.user_id, m.team_id) for m in ctx.staff] or [(None, None)]
        reasons = list(LostReason.objects.filter(is_active=True).values_list("pk", flat=True)) or [None]
        rng = ctx.rng(self.name)
        opp_writer = TableWriter(
            Opportunity, OPP_COLUMNS, prepared=("stage_entered_at", "closed_at", "created_at")
        )
        change_writer = TableWriter(StageChange, CHANGE_COLUMNS, prepared=("changed_at",))
        now = ctx.now
        written = changes_written = 0
        label = _("opportunities")
        while written < self.count:
            n = min(PER_TRANSACTION, self.count - written)
            deals = [
                self._deal(rng, now, targets, owners, reasons, open_stages, won, lost, written + i)
                for i in range(n)
            ]
            with transaction.atomic():
                ids = opp_writer.insert(
                    [
                        [*d["row"][:14], *(opp_writer.prepare_datetime(v) for v in d["row"][14:])]
                        for d in deals
                    ],
                    returning=True,
                )
                rows = []
                for pk, d in zip(ids, deals, strict=True):
                    for change in d["changes"]:
                        change[0] = pk
                        change[5] = change_writer.prepare_datetime(change[5])
                        rows.append(change)
                change_writer.insert(rows)
            written += n
            changes_written += len(rows)
            ctx.progress(label, written, self.count, since=started)
        ctx.progress(label, written, self.count, final=True, since=started)
        totals_started = time.perf_counter()
        groups = totals_rebuild()
        # the forecast's historical conversion rates (a nightly job in production) from the new history
        from clientela.sales.forecast import forecast_rates_refresh

        forecast_rates_refresh()
        ctx.counts["opportunities"] += written
        ctx.summaries.append(
            _(
                "%(n)s opportunities with %(c)s stage changes in %(s).1f s, "
                "board totals (%(g)s groups) and conversion rates in %(t).1f s"
            )
            % {
                "n": f"{written:,}",
                "c": f"{changes_written:,}",
                "s": totals_started - started,
                "g": f"{groups:,}",
                "t": time.perf_counter() - totals_started,
            }
        )

    @staticmethod
    def _deal(rng, now, targets, owners, reasons, open_stages, won, lost, serial: int) -> dict[str, Any]:
        party = targets[rng.randrange(len(targets))]
        owner, team = owners[rng.randrange(len(owners))]
        roll = rng.random()
        currency = next(c for c, share in CURRENCY_CUTS if roll < share)
        amount = round(math.exp(rng.gauss(8.6, 1.1)), -1) or 100.0
        age_days = rng.random() * HISTORY_DAYS
        created = now - dt.timedelta(days=age_days)
        at = created
        changes: list[list[Any]] = []
        previous = None
        status = OpportunityStatus.OPEN
        stage = open_stages[0]
        closed_at = None
        lost_reason = None
        for index, candidate in enumerate(open_stages):
            stage = candidate
            seconds = None if previous is None else (at - previous[1]).total_seconds()
            changes.append(
                [
                    None,
                    candidate.pipeline_id,
                    previous[0].pk if previous else None,
                    candidate.pk,
                    status,
                    at,
                    owner,
                    None if seconds is None else int(seconds),
                    amount,
                    currency,
                    candidate.probability,
                ]
            )
            previous = (candidate, at)
            step = dt.timedelta(days=rng.expovariate(1 / 45))
            if at + step > now:
                break  # still in this stage
            at = at + step
            last = index == len(open_stages) - 1
            if last or rng.random() > ADVANCE:
                if last and rng.random() < WIN_FROM_LAST:
                    stage, status = won, OpportunityStatus.WON
                else:
                    stage, status = lost, OpportunityStatus.LOST
                    lost_reason = reasons[rng.randrange(len(reasons))]
                closed_at = at
                changes.append(
                    [
                        None,
                        stage.pipeline_id,
                        candidate.pk,
                        stage.pk,
                        status,
                        at,
                        owner,
                        int((at - previous[1]).total_seconds()),
                        amount,
                        currency,
                        stage.probability,
                    ]
                )
                previous = (stage, at)
                break
        probability = stage.probability
        if status == OpportunityStatus.OPEN:
            close = (created + dt.timedelta(days=rng.randint(20, 150))).date()
            category = rng.choices(
                (ForecastCategory.PIPELINE, ForecastCategory.BEST_CASE, ForecastCategory.COMMIT), (6, 3, 2)
            )[0]
        else:
            close = closed_at.date()
            category = ForecastCategory.CLOSED
        name = f"{PRODUCTS[serial % len(PRODUCTS)]} {serial + 1}"
        row = [
            name,
            party,
            stage.pipeline_id,
            stage.pk,
            status,
            f"{amount:.2f}",
            currency,
            probability,
            category,
            close,
            "",
            lost_reason,
            owner,
            team,
            previous[1],
            closed_at,
            created,
        ]
        return {"row": row, "changes": changes}


def _cumulative(items: tuple[tuple[str, float], ...]) -> list[tuple[str, float]]:
    out, total = [], 0.0
    for value, share in items:
        total += share
        out.append((value, total))
    out[-1] = (out[-1][0], 1.01)
    return out


CURRENCY_CUTS = _cumulative(CURRENCIES)
