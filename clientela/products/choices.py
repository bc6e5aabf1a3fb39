"""Units, kinds and the tax rate presets of the catalogue (translated)."""

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Unit(models.TextChoices):
    UNIT = "unit", pgettext_lazy("unit of measure", "Unit")
    HOUR = "hour", _("Hour")
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")
    KG = "kg", _("Kilogram")
    LITRE = "l", _("Litre")
    METRE = "m", _("Metre")
    BOX = "box", _("Box")
    LICENCE = "licence", _("Licence")


class ProductKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")


# Spanish IVA rates offered as presets (general, reduced, super-reduced, exempt). The rate itself is a free
# Decimal percent on the product and on each line, so other countries' rates fit without a migration.
TAX_RATE_PRESETS: tuple[tuple[Decimal, Any], ...] = (
    (Decimal("21.00"), _("IVA general 21%")),
    (Decimal("10.00"), _("IVA reduced 10%")),
    (Decimal("4.00"), _("IVA super-reduced 4%")),
    (Decimal("0.00"), _("Exempt 0%")),
)
DEFAULT_TAX_RATE = Decimal("21.00")
