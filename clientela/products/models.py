"""The catalogue: products and services, and price lists with one price per product."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.products.choices import DEFAULT_TAX_RATE, ProductKind, Unit


class Product(models.Model):
    """Something we sell: a product or a service, with its unit and tax rate (a Decimal percent).

    ``code`` is the business key other systems use (an ERP order line names its product by code);
    ``version`` grows on every change and backs ETag / If-Match. Inactive products stay on old quotes
    and orders but are not offered for new ones.
    """

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices, default=Unit.UNIT)
    kind = models.CharField(
        _("kind"), max_length=16, choices=ProductKind.choices, default=ProductKind.PRODUCT
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_TAX_RATE,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code", "id"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def etag(self) -> str:
        return f'W/"product{self.pk}-{self.version}"'


class PriceList(models.Model):
    """Prices in one currency for a period; ``price_for`` picks the list valid on a date.

    When several active lists in a currency are valid on one date, the one that started latest wins
    (a promotion list starting in June overrides the yearly list).
    """

    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["currency", "-valid_from", "id"]
        indexes = [models.Index(fields=["currency", "valid_from"], name="pricelist_currency_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="pricelist_valid_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class PriceListItem(models.Model):
    """The unit price of one product on one price list (at most one per list and product)."""

    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="prices"
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["product__code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="pricelist_one_price_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} @ {self.unit_price}"
