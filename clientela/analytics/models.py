"""Customer value figures: RFM, BG/NBD + Gamma-Gamma lifetime value and churn risk, with the fits behind them.

``CustomerScore`` is derived data (a function of the ledger's current purchases and returns and of the
current ``ModelFit``): it is recomputed, never edited, so it carries no change log of its own.
``ModelFit`` keeps every fit (one row per currency and run), so a number shown on a page can always be
traced to the parameters and the data cut-off that produced it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clientela.core.permissions import RestrictedModel, RestrictedQuerySet


class RfmSegment(models.TextChoices):
    """The eleven named RFM segments (the usual grid over recency and frequency+monetary scores)."""

    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALISTS = "potential_loyalists", _("Potential loyalists")
    NEW = "new", pgettext_lazy("RFM segment: customers who bought for the first time recently", "New")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", pgettext_lazy("RFM segment: customers who stopped buying long ago", "Lost")


class ChurnRisk(models.TextChoices):
    """Risk that a customer has stopped buying: from P(alive) and recency against the customer's own rhythm."""

    LOW = "low", pgettext_lazy("churn risk", "Low")
    MEDIUM = "medium", pgettext_lazy("churn risk", "Medium")
    HIGH = "high", pgettext_lazy("churn risk", "High")


class FitStatus(models.TextChoices):
    OK = "ok", _("Fitted")
    NOT_CONVERGED = "not_converged", _("Did not converge")
    TOO_FEW = "too_few", _("Too few customers")
    FAILED = "failed", _("Failed")


class ModelFit(models.Model):
    """One refit of the value models for one currency, with its data cut-off (``as_of``).

    ``rfm`` holds the quintile breakpoints used to score recency, frequency and monetary value;
    ``bgnbd`` the BG/NBD parameters (r, alpha, a, b; time in days) and ``gamma_gamma`` the Gamma-Gamma
    parameters (p, q, v); ``stats`` the fit statistics (log-likelihood, iterations, customers used and
    excluded with reasons, seconds). Only the latest fit of a currency has ``is_current``.
    """

    currency = models.CharField(_("currency"), max_length=3)
    as_of = models.DateTimeField(_("data up to"))
    fitted_at = models.DateTimeField(_("fitted at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=FitStatus.choices, default=FitStatus.OK)
    message = models.TextField(_("message"), blank=True)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    purchases = models.PositiveIntegerField(_("purchases"), default=0)
    horizon_days = models.PositiveIntegerField(_("horizon (days)"), default=365)
    discount_rate = models.DecimalField(
        _("monthly discount rate"), max_digits=6, decimal_places=4, default=0.01
    )
    rfm = models.JSONField(_("RFM breakpoints"), default=dict, blank=True)
    bgnbd = models.JSONField(_("BG/NBD parameters"), default=dict, blank=True)
    gamma_gamma = models.JSONField(_("Gamma-Gamma parameters"), default=dict, blank=True)
    stats = models.JSONField(_("fit statistics"), default=dict, blank=True)
    is_current = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("model fit")
        verbose_name_plural = _("model fits")
        constraints = [
            models.UniqueConstraint(fields=["currency"], condition=Q(is_current=True), name="ix_fit_current"),
        ]
        indexes = [models.Index(fields=["currency", "-fitted_at"], name="ix_fit_currency_time")]

    def __str__(self) -> str:
        return f"{self.currency} {self.as_of:%Y-%m-%d}"


class CustomerScore(RestrictedModel):
    """A customer's value figures in its main currency: RFM, P(alive), expected purchases, CLV, churn risk.

    Times are stored as the model sees them: ``recency_days`` is days since the last purchase at
    ``as_of``; ``t_x_days`` the time of the last repeat purchase after the first, ``age_days`` (T) the
    time since the first purchase. ``frequency`` counts repeat purchases (purchases after the first one,
    as BG/NBD does); ``purchases`` counts them all. ``monetary`` is the net value (purchases minus
    returns) over the customer's life; ``excluded_reason`` says why a customer got no model figures
    (e.g. net value not positive) instead of showing a wrong number.
    """

    permission_object = "party"
    owner_path = "party__owner"
    team_path = "party__team"

    party = models.OneToOneField(
        "parties.Party",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="score",
        verbose_name=_("customer"),
    )
    currency = models.CharField(_("currency"), max_length=3)
    as_of = models.DateTimeField(_("as of"))
    first_purchase_at = models.DateTimeField(_("first purchase"))
    last_purchase_at = models.DateTimeField(_("last purchase"))
    purchases = models.PositiveIntegerField(_("purchases"), default=0)
    frequency = models.PositiveIntegerField(_("repeat purchases"), default=0)
    recency_days = models.FloatField(_("days since last purchase"))
    t_x_days = models.FloatField(default=0)
    age_days = models.FloatField(default=0)
    monetary = models.DecimalField(_("net value"), max_digits=18, decimal_places=2)
    returns_total = models.DecimalField(_("returns"), max_digits=18, decimal_places=2, default=0)
    average_order_value = models.DecimalField(
        _("average order value"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    r_score = models.PositiveSmallIntegerField(_("R"), default=0)
    f_score = models.PositiveSmallIntegerField(_("F"), default=0)
    m_score = models.PositiveSmallIntegerField(_("M"), default=0)
    rfm_segment = models.CharField(_("RFM segment"), max_length=24, choices=RfmSegment.choices, blank=True)
    p_alive = models.FloatField(_("probability alive"), null=True, blank=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    expected_order_value = models.DecimalField(
        _("expected order value"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    clv = models.DecimalField(_("lifetime value"), max_digits=18, decimal_places=2, null=True, blank=True)
    churn_risk = models.CharField(_("churn risk"), max_length=8, choices=ChurnRisk.choices, blank=True)
    churn_reason = models.CharField(_("why"), max_length=300, blank=True)
    excluded_reason = models.CharField(_("not scored because"), max_length=300, blank=True)
    fit = models.ForeignKey(ModelFit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        indexes = [
            models.Index(fields=["rfm_segment"], name="ix_score_segment"),
            models.Index(fields=["-clv", "party"], name="ix_score_clv"),
            models.Index(fields=["-p_alive", "party"], name="ix_score_alive"),
            models.Index(fields=["churn_risk"], name="ix_score_churn"),
        ]

    def __str__(self) -> str:
        return f"score {self.party_id}"
