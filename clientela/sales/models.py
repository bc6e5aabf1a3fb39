"""Sales force automation: pipelines with ordered stages, opportunities moving through them, and leads."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import RestrictedModel, RestrictedQuerySet
from clientela.sales.choices import ForecastCategory, LeadOrigin, LeadStatus, OpportunityStatus


class Pipeline(models.Model):
    """A sales process (e.g. "New business", "Renewals") with its own ordered stages; managers configure it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    currency = models.CharField(_("default currency"), max_length=3, default="EUR")
    is_default = models.BooleanField(_("default pipeline"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="ix_one_default_pipeline"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    """One step of a pipeline. Its probability is the default for opportunities entering it; a won or lost
    stage closes the opportunity."""

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="stages", verbose_name=_("pipeline")
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    is_won = models.BooleanField(_("won"), default=False)
    is_lost = models.BooleanField(_("lost"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="ix_stage_name"),
            models.CheckConstraint(
                condition=~(Q(is_won=True) & Q(is_lost=True)), name="ck_stage_won_xor_lost"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def status(self) -> str:
        if self.is_won:
            return OpportunityStatus.WON
        if self.is_lost:
            return OpportunityStatus.LOST
        return OpportunityStatus.OPEN


class LostReason(models.Model):
    """A managed reason for losing a deal ("Price", "Chose a competitor"...), so losses can be counted."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Opportunity(RestrictedModel):
    """A possible sale to a customer, moving through the stages of one pipeline.

    ``probability`` defaults from the stage and may be overridden (``probability_overridden``). Every stage
    change writes a ``StageChange`` row with its time, so stage durations and historical conversion rates
    are known. ``version`` grows on every change (optimistic concurrency for the board and the API).
    """

    permission_object = "opportunity"
    owner_path = "owner"
    team_path = "team"

    name = models.CharField(_("name"), max_length=200)
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="opportunities"
    )
    organisation = models.ForeignKey(
        "parties.Party",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisation_opportunities",
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=8, choices=OpportunityStatus.choices, default=OpportunityStatus.OPEN
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=Decimal(0))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    probability_overridden = models.BooleanField(default=False)
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=12,
        choices=ForecastCategory.choices,
        default=ForecastCategory.PIPELINE,
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lost_note = models.CharField(_("loss details"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    stage_entered_at = models.DateTimeField(_("in this stage since"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            # the board: one pipeline's cards per stage, most recently moved first (keyset pages)
            models.Index(fields=["pipeline", "stage", "-stage_entered_at", "-id"], name="ix_opp_board"),
            # the board filtered by owner or team: the same order inside the owner's or team's cards; by
            # expected close: the period's cards of a stage and the partial months summed for the totals,
            # both read from the index alone (a period holds tens of thousands of deals at a million)
            models.Index(
                fields=["pipeline", "stage", "owner", "-stage_entered_at", "-id"], name="ix_opp_board_owner"
            ),
            models.Index(
                fields=["pipeline", "stage", "team", "-stage_entered_at", "-id"], name="ix_opp_board_team"
            ),
            # owner and team ride along so a close-date range plus an owner or team filter is answered
            # inside the index: PostgreSQL otherwise ANDed it with the owner index (37k entries per
            # column for one salesperson at a million deals, 2-10 ms a column)
            models.Index(
                fields=["pipeline", "stage", "expected_close_date", "id", "party", "owner", "team"],
                name="ix_opp_board_close_owner",
            ),
            models.Index(
                fields=[
                    "pipeline",
                    "expected_close_date",
                    "stage",
                    "currency",
                    "amount",
                    "probability",
                    "party",
                    "owner",
                    "team",
                ],
                name="ix_opp_pipeline_close",
            ),
            models.Index(fields=["status", "expected_close_date"], name="ix_opp_status_close"),
            models.Index(fields=["owner", "status"], name="ix_opp_owner"),
            models.Index(fields=["party", "-created_at"], name="ix_opp_party"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="ck_opp_amount"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="ck_opp_probability"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def etag(self) -> str:
        return f'W/"opp{self.pk}-{self.version}"'

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / Decimal(100)).quantize(Decimal("0.01"))


class StageChange(models.Model):
    """An opportunity entered a stage: when, from which stage, who moved it, and how long it stayed before.

    The first row of an opportunity has no ``from_stage`` (its creation). Forecasts read these rows for
    historical stage-to-won conversion rates and cycle times.
    """

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=OpportunityStatus.choices)
    changed_at = models.DateTimeField(_("when"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seconds_in_from_stage = models.BigIntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    probability = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["opportunity", "changed_at"], name="ix_stagechange_opp"),
            models.Index(fields=["pipeline", "changed_at"], name="ix_stagechange_time"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage_id} -> {self.to_stage_id} {self.changed_at:%Y-%m-%d}"


class Lead(RestrictedModel):
    """A prospect not yet a customer: from the web form, an import, the API or typed in by hand.

    Qualifying sets status, score and reason; converting creates (or attaches to) a customer and an
    opportunity in one step and keeps the lead, with its history, pointing at them.
    """

    permission_object = "lead"
    owner_path = "owner"
    team_path = "team"

    status = models.CharField(_("status"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    origin = models.CharField(
        _("captured by"), max_length=10, choices=LeadOrigin.choices, default=LeadOrigin.MANUAL
    )
    given_names = models.CharField(_("given names"), max_length=100, blank=True)
    family_names = models.CharField(_("family names"), max_length=150, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    interest = models.CharField(_("interest"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    utm_source = models.CharField(_("campaign source"), max_length=100, blank=True)
    utm_medium = models.CharField(_("campaign medium"), max_length=100, blank=True)
    utm_campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    utm_term = models.CharField(_("campaign term"), max_length=100, blank=True)
    utm_content = models.CharField(_("campaign content"), max_length=100, blank=True)
    referrer = models.CharField(_("referring page"), max_length=500, blank=True)
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    qualification_reason = models.CharField(_("reason"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    converted_party = models.ForeignKey(
        "parties.Party",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    converted_opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    # the submitted form or API body as received, for the record (never re-read as the lead's fields)
    raw = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="ix_lead_status"),
            models.Index(fields=["owner", "status"], name="ix_lead_owner"),
            models.Index(fields=["email"], name="ix_lead_email"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_names="", family_names="", company="", email="", phone=""),
                name="ck_lead_identifies_someone",
            ),
        ]

    @property
    def etag(self) -> str:
        return f'W/"lead{self.pk}-{self.version}"'

    def __str__(self) -> str:
        name = " ".join(p for p in (self.given_names, self.family_names) if p)
        if name and self.company:
            return f"{name} ({self.company})"
        return name or self.company or self.email or self.phone


class StageTotal(models.Model):
    """Running count and sums of opportunities per pipeline stage, owner, team, currency, forecast category
    and month of expected close, kept current by the services (deltas in the same transaction).

    The board's column totals and the forecast read these few rows instead of summing a million
    opportunities per view. Money is kept in integer cents (exact on SQLite, whose decimal arithmetic is
    floating point) and the weighted amount in cents x percent. ``key`` joins the grouping columns so
    that one ``INSERT ... ON CONFLICT`` adds a delta on both databases (NULLs would never conflict).
    """

    key = models.CharField(max_length=120, unique=True)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    owner_id_value = models.IntegerField(default=0)  # 0: no owner (plain ints: a deleted user keeps its row)
    team_id_value = models.IntegerField(default=0)
    currency = models.CharField(max_length=3)
    forecast_category = models.CharField(max_length=12)
    close_month = models.DateField(null=True, blank=True)
    count = models.BigIntegerField(default=0)
    amount_cents = models.BigIntegerField(default=0)
    weighted_cents_pct = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("stage total")
        verbose_name_plural = _("stage totals")
        # covering: the board's and the forecast's sums read the index alone, already grouped by stage
        indexes = [
            models.Index(
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
            )
        ]

    def __str__(self) -> str:
        return self.key


class ConversionRate(models.Model):
    """Historical outcome of opportunities that entered a stage: the share that were won and how long
    they took from entering the stage to closing. Recomputed from ``StageChange`` by a background job
    (``forecast_rates_refresh``); the forecast reads these rows, never the full history per view."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    entered = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    median_days_to_close = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("conversion rate")
        verbose_name_plural = _("conversion rates")
        constraints = [models.UniqueConstraint(fields=["pipeline", "stage"], name="ix_conversion_stage")]

    def __str__(self) -> str:
        return f"{self.stage_id}: {self.won}/{self.entered}"

    @property
    def win_rate(self) -> float | None:
        closed = self.won + self.lost
        return self.won / closed if closed else None


class ForecastSnapshot(models.Model):
    """What the open pipeline forecast for one month, as it stood on ``taken_on``, per owner, team and
    currency (written by ``forecast_snapshot_take``, daily or at least on each month's first day).

    Why a copy: ``StageChange`` keeps the stages an opportunity went through but not its past expected
    close dates or amounts, so "what we forecast for March, at the start of March" cannot be rebuilt
    afterwards; it has to be kept when it is true. Money in integer cents (weighted: cents x percent),
    exact on both databases; owner and team are plain ints (0: none), like ``StageTotal``.
    """

    taken_on = models.DateField(_("taken on"))
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField(_("month"))  # first day of the month the figures are for
    owner_id_value = models.IntegerField(default=0)
    team_id_value = models.IntegerField(default=0)
    currency = models.CharField(max_length=3)
    count = models.BigIntegerField(default=0)
    amount_cents = models.BigIntegerField(default=0)
    weighted_cents_pct = models.BigIntegerField(default=0)
    commit_cents = models.BigIntegerField(default=0)
    best_case_cents = models.BigIntegerField(default=0)
    historical_cents = models.BigIntegerField(default=0)  # the historical-rate forecast, rounded to cents

    class Meta:
        verbose_name = _("forecast snapshot")
        verbose_name_plural = _("forecast snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "taken_on",
                    "pipeline",
                    "period_start",
                    "owner_id_value",
                    "team_id_value",
                    "currency",
                ],
                name="ix_forecastsnapshot_row",
            )
        ]
        # the report looks up the latest snapshot of a pipeline on or before a date
        indexes = [models.Index(fields=["pipeline", "taken_on"], name="ix_forecastsnapshot_day")]

    def __str__(self) -> str:
        return f"{self.pipeline_id} {self.taken_on}: {self.period_start} {self.currency}"
