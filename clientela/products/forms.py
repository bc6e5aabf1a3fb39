"""Forms of the catalogue pages: shape and coerce input, then the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clientela.products.choices import TAX_RATE_PRESETS, ProductKind, Unit


def attach(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's errors (by field path) on the form's fields, the rest on the form itself."""
    for path, messages in exc.message_dict.items():
        field = path if path in form.fields else None
        for message in messages:
            form.add_error(field, message)


class ProductForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ProductKind.choices)
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices)
    tax_rate = forms.DecimalField(
        label=_("Tax rate (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        help_text=_("Spanish IVA: 21, 10, 4 or 0."),
        localize=True,
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control"
            if isinstance(field.widget, forms.Select):
                css = "form-select"
            field.widget.attrs.setdefault("class", css)
        self.fields["tax_rate"].widget.attrs["list"] = "tax-presets"
        self.presets = TAX_RATE_PRESETS


class PriceListForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(
        label=_("Valid until (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control"
            field.widget.attrs.setdefault("class", css)


class PriceItemForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=None)  # type: ignore[arg-type]
    unit_price = forms.DecimalField(label=_("Unit price"), min_value=0, decimal_places=4, localize=True)

    def __init__(self, *args: Any, products: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["product"].widget.attrs["class"] = "form-select"
        self.fields["unit_price"].widget.attrs["class"] = "form-control"
