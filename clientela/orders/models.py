"""Quotes (with versions) and orders, their lines, and the yearly numbering of documents."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import RestrictedModel, RestrictedQuerySet
from clientela.orders.choices import OrderStatus, QuoteLanguage, QuoteStatus

ZERO = Decimal("0.00")


class DocumentSequence(models.Model):
    """The last number handed out per document prefix and year ("Q" 2026 -> 42 gives Q-2026-00042).

    Numbers come from this row under ``select_for_update``, so two concurrent quotes never share one and
    a rolled-back quote gives its number back.
    """

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="orders_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class Totals(models.Model):
    """Cached money totals of a document (recomputed by the services from the lines, never by hand)."""

    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.DecimalField(_("subtotal"), max_digits=18, decimal_places=2, default=ZERO)
    discount_total = models.DecimalField(_("discounts"), max_digits=18, decimal_places=2, default=ZERO)
    tax_total = models.DecimalField(_("taxes"), max_digits=18, decimal_places=2, default=ZERO)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2, default=ZERO)

    class Meta:
        abstract = True


class Quote(RestrictedModel, Totals):
    """A priced offer to a customer. ``number`` + ``revision`` identify it (Q-2026-00042 v2).

    Only drafts change in place; changing a sent quote creates the next revision (``supersedes`` the old
    one, which keeps its content and is no longer ``is_current``). ``version`` backs ETag / If-Match.
    Visibility follows the quote's own owner and team (object type "quote").
    """

    permission_object = "quote"
    owner_path = "owner"
    team_path = "team"

    number = models.CharField(_("number"), max_length=32)
    revision = models.PositiveSmallIntegerField(_("version number"), default=1)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    is_current = models.BooleanField(_("current version"), default=True)
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="quotes"
    )
    organisation = models.ForeignKey(
        "parties.Party",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisation_quotes",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quotes",
    )
    price_list = models.ForeignKey(
        "products.PriceList",
        verbose_name=_("price list"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    language = models.CharField(
        _("language of the printed copy"),
        max_length=2,
        choices=QuoteLanguage.choices,
        default=QuoteLanguage.SPANISH,
    )
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    terms = models.TextField(_("terms"), max_length=10000, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_quotes",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    decided_at = models.DateTimeField(_("accepted or rejected"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="orders_quote_number_revision"),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="quote_created_idx"),
            models.Index(fields=["party", "-created_at"], name="quote_party_idx"),
            models.Index(fields=["status", "valid_until"], name="quote_status_valid_idx"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.number} v{self.revision}" if self.revision > 1 else self.number

    @property
    def etag(self) -> str:
        return f'W/"quote{self.pk}-{self.version}"'

    @property
    def is_editable(self) -> bool:
        return self.is_current and self.status == QuoteStatus.DRAFT


class DocumentLine(models.Model):
    """A priced line: quantity × unit price less a discount percent, taxed at a percent rate.

    ``net`` is cached, rounded to cents (ROUND_HALF_UP) line by line, as the documents print it.
    """

    position = models.PositiveIntegerField(_("position"))
    product = models.ForeignKey(
        "products.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=ZERO)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=ZERO)
    net = models.DecimalField(_("net amount"), max_digits=18, decimal_places=2, default=ZERO)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"


class QuoteLine(DocumentLine):
    """A line of a quote."""

    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines")

    class Meta(DocumentLine.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="orders_quoteline_position")
        ]


class Order(RestrictedModel, Totals):
    """A customer's order: made from an accepted quote, or recorded from the ERP by (source, external id).

    Every order is also a ``purchase`` on the customer's timeline (same source and external id), so it
    counts in the customer's lifetime purchases. Status moves along ``ORDER_TRANSITIONS``.
    """

    permission_object = "quote"
    owner_path = "owner"
    team_path = "team"

    number = models.CharField(_("number"), max_length=64)
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    organisation = models.ForeignKey(
        "parties.Party",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisation_orders",
    )
    quote = models.OneToOneField(
        Quote, verbose_name=_("quote"), null=True, blank=True, on_delete=models.PROTECT, related_name="order"
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    source = models.ForeignKey(
        "core.SourceSystem", verbose_name=_("source"), on_delete=models.PROTECT, related_name="+"
    )
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    ordered_at = models.DateTimeField(_("ordered"))
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.CONFIRMED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_orders",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="orders_order_source_external",
            ),
            models.UniqueConstraint(fields=["source", "number"], name="orders_order_source_number"),
        ]
        indexes = [
            models.Index(fields=["-ordered_at", "-id"], name="order_ordered_idx"),
            models.Index(fields=["party", "-ordered_at"], name="order_party_idx"),
            models.Index(fields=["number"], name="order_number_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def etag(self) -> str:
        return f'W/"order{self.pk}-{self.version}"'


class OrderLine(DocumentLine):
    """A line of an order; ``position`` is stable across ERP updates (lines are matched by it)."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")

    class Meta(DocumentLine.Meta):
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="orders_orderline_position")
        ]


class OpportunityProduct(models.Model):
    """A product an opportunity is expected to sell: quantity × unit price less a discount percent.

    The unit price defaults from the price lists valid today in the opportunity's currency and may be
    typed instead; ``net`` is cached (rounded to cents like a quote line). Lines are replaced together by
    ``opportunity_products_set``, which can also set the opportunity's amount to their net total. It lives
    in orders (above sales and products) so neither of those imports the other.
    """

    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="products",
    )
    product = models.ForeignKey(
        "products.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField(_("position"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=ZERO)
    net = models.DecimalField(_("net amount"), max_digits=18, decimal_places=2, default=ZERO)

    class Meta:
        verbose_name = _("opportunity product")
        verbose_name_plural = _("opportunity products")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "position"], name="orders_oppproduct_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="ck_oppproduct_quantity"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="ck_oppproduct_price"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100), name="ck_oppproduct_discount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.product_id} × {self.quantity}"
