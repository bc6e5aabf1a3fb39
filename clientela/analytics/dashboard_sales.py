"""The pipeline funnel tile: opportunities created in the period on the default pipeline, by the stage they
have reached. Opportunities follow the user's opportunity scope (as the sales pages do) and the dashboard's
team and segment filters; an opportunity "reached" a stage when it is in it or in a later one (won deals
reached every open stage; lost deals count up to the stage they were lost from)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from clientela.analytics.dashboard_scope import Filters
from clientela.analytics.dashboard_table import Table, num, ratio
from clientela.core.permissions import Scope, user_scope


def pipeline_funnel(user: Any, filters: Filters, action: str) -> Table | None:
    """The funnel, or None when there is no pipeline or the role may not see opportunities."""
    from clientela.sales.models import Opportunity, Pipeline, Stage
    from clientela.segments.selectors import member_party_ids

    if user_scope(user, "opportunity", action) == Scope.NONE:
        return None
    pipeline = Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "pk").first()
    if pipeline is None:
        return None
    stages = list(Stage.objects.filter(pipeline=pipeline, is_active=True).order_by("position", "pk"))
    qs = Opportunity.objects.restrict(user, action).filter(
        pipeline=pipeline, created_at__gte=filters.start, created_at__lt=filters.end
    )
    if filters.team_id:
        qs = qs.filter(team_id=filters.team_id)
    if filters.segment_id:
        qs = qs.filter(party_id__in=member_party_ids(filters.segment_id))
    per_stage = {
        row["stage_id"]: row
        for row in qs.values("stage_id")
        .annotate(n=Count("pk"), amount=Sum("amount", filter=Q(currency=filters.currency)))
        .order_by()
    }
    open_stages = [s for s in stages if not s.is_won and not s.is_lost]
    won = [s for s in stages if s.is_won]
    won_n = sum(per_stage.get(s.pk, {}).get("n", 0) for s in won)
    rows = []
    # reached = in this stage, in a later open stage, or won (lost deals sit in the lost stage, not counted)
    for i, stage in enumerate(open_stages):
        later = open_stages[i:]
        n = sum(per_stage.get(s.pk, {}).get("n", 0) for s in later) + won_n
        amount = sum((per_stage.get(s.pk, {}).get("amount") or 0) for s in later)
        rows.append([stage.name, n, per_stage.get(stage.pk, {}).get("n", 0), amount])
    for stage in won:
        row = per_stage.get(stage.pk, {})
        rows.append([stage.name, row.get("n", 0), row.get("n", 0), row.get("amount") or 0])
    first = rows[0][1] if rows else 0
    for row in rows:
        row.append(ratio(row[1] * 100, first))
    created = qs.count()
    summary = (
        _("%(created)s opportunities created; %(won)s won (%(rate)s).")
        % {
            "created": created,
            "won": won_n,
            "rate": "—" if not created else f"{won_n * 100 / created:.1f} %",
        }
        if created
        else _("No opportunities were created in this period.")
    )
    return Table(
        "funnel",
        _("How far do this period's opportunities get in the %(pipeline)s pipeline?")
        % {"pipeline": pipeline.name},
        summary,
        [
            (_("Stage"), "text"),
            (_("Reached the stage"), "int"),
            (_("In the stage now"), "int"),
            (_("Amount reached"), "money"),
            (_("Share of the first stage (%)"), "pct"),
        ],
        rows,
        {
            "type": "bar",
            "horizontal": True,
            "labels": [r[0] for r in rows],
            "datasets": [{"label": _("Reached the stage"), "data": [num(r[1]) for r in rows]}],
        },
        currency=filters.currency,
    )
