"""Forms of the quote pages: the header and the line rows. They shape input; the services validate it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clientela.orders.choices import OrderStatus, QuoteLanguage
from clientela.products.models import PriceList, Product


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", css)


class QuoteForm(forms.Form):
    party = forms.IntegerField(
        label=_("Customer number"),
        min_value=1,
        help_text=_("The number shown in the customer's address (/customers/<number>/)."),
    )
    opportunity = forms.IntegerField(label=_("Opportunity number (optional)"), min_value=1, required=False)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    price_list = forms.ModelChoiceField(
        label=_("Price list (optional)"), queryset=PriceList.objects.filter(is_active=True), required=False
    )
    valid_until = forms.DateField(label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"}))
    language = forms.ChoiceField(label=_("Language of the printed copy"), choices=QuoteLanguage.choices)
    terms = forms.CharField(
        label=_("Terms (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(
        label=_("Notes (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class LineForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    quantity = forms.CharField(label=_("Quantity"), max_length=30, required=False, initial="1")
    unit_price = forms.CharField(
        label=_("Unit price"), max_length=30, required=False, help_text=_("Empty: from the price list.")
    )
    discount_percent = forms.CharField(label=_("Discount (%)"), max_length=10, required=False)
    tax_rate = forms.CharField(
        label=_("Tax (%)"), max_length=10, required=False, help_text=_("Empty: the product's.")
    )

    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if products is not None:
            self.fields["product"].queryset = products
        _style(self)

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not (data.get("product") or data.get("description"))

    def line(self) -> dict[str, Any]:
        """The service's line dict (numbers as typed; the service parses and checks them)."""
        data = self.cleaned_data
        out: dict[str, Any] = {"description": data["description"], "quantity": data["quantity"] or "1"}
        if data.get("product"):
            out["product"] = data["product"].pk
        for name in ("unit_price", "discount_percent", "tax_rate"):
            if data.get(name):
                out[name] = data[name]
        return out


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        self.products = products
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"products": self.products}

    def lines(self) -> tuple[list[dict[str, Any]], list[int]]:
        """The non-blank lines and, for each, the index of its row (to put the service's errors back)."""
        lines, rows = [], []
        for n, form in enumerate(self.forms):
            if form.is_valid() and not form.is_blank():
                lines.append(form.line())
                rows.append(n)
        return lines, rows

    def attach(self, exc: ValidationError, rows: list[int], header: forms.Form) -> None:
        """Put ``lines.N.field`` errors on the row that line came from; the rest on the header form."""
        for path, messages in exc.message_dict.items():
            parts = path.split(".")
            if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(rows):
                form = self.forms[rows[int(parts[1])]]
                field = parts[2] if len(parts) > 2 and parts[2] in form.fields else None
                if field == "product_code":
                    field = "product"
                for message in messages:
                    form.add_error(field, message)
            else:
                field = path if path in header.fields else None
                for message in messages:
                    header.add_error(field, message)


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=0, max_num=500, absolute_max=500)


class SendForm(forms.Form):
    to = forms.EmailField(
        label=_("Send to (optional)"),
        required=False,
        help_text=_("Empty: the customer's main email address."),
    )
    message = forms.CharField(
        label=_("Message (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=OrderStatus.choices)


class OpportunityProductForm(forms.Form):
    """One product line of an opportunity (numbers as typed; the service parses and checks them)."""

    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    quantity = forms.CharField(label=_("Quantity"), max_length=30, required=False, initial="1")
    unit_price = forms.CharField(
        label=_("Unit price"), max_length=30, required=False, help_text=_("Empty: from the price list.")
    )
    discount_percent = forms.CharField(label=_("Discount (%)"), max_length=10, required=False)

    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if products is not None:
            self.fields["product"].queryset = products
        _style(self)

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not data.get("product")

    def line(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {"product": data["product"].pk, "quantity": data["quantity"] or "1"}
        for name in ("unit_price", "discount_percent"):
            if data.get(name):
                out[name] = data[name]
        return out


OpportunityProductFormSet = forms.formset_factory(
    OpportunityProductForm, formset=BaseLineFormSet, extra=0, max_num=200, absolute_max=200
)


class OpportunityProductsForm(forms.Form):
    update_amount = forms.BooleanField(
        label=_("Set the opportunity's amount to the products' net total"), required=False, initial=True
    )
