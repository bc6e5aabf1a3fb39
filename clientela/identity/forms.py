"""The side-by-side comparison of a possible duplicate pair and the form that decides how to merge it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.identity.services import MERGED, SURVIVOR, SURVIVORSHIP_FIELDS
from clientela.interactions.models import Interaction
from clientela.parties.choices import PHONE_KINDS, ContactKind
from clientela.parties.models import ContactPoint, Party

A, B = "a", "b"


@dataclass
class Row:
    """One line of the comparison: a label, both sides' shown values, and whether they differ."""

    name: str
    label: str
    a: Any
    b: Any
    differs: bool
    choosable: bool = False
    default: str = A


def _shown(party: Party, name: str) -> Any:
    field = Party._meta.get_field(name)
    value = getattr(party, field.attname)
    if value is None or value == "":
        return ""
    if field.choices:
        return getattr(party, f"get_{name}_display")()
    if field.is_relation:
        return str(getattr(party, name))
    return value


def _contacts(a: Party, b: Party) -> dict[int, dict[str, list[str]]]:
    out: dict[int, dict[str, list[str]]] = {a.pk: {}, b.pk: {}}
    rows = ContactPoint.objects.filter(party_id__in=[a.pk, b.pk], deleted_at__isnull=True).order_by(
        "-is_primary", "pk"
    )
    for cp in rows:
        if cp.kind == ContactKind.EMAIL:
            group, text = "email", cp.value
        elif cp.kind in PHONE_KINDS:
            group, text = "phone", cp.normalized or cp.value
        elif cp.kind == ContactKind.ADDRESS:
            parts = [cp.street, cp.postal_code, cp.city, cp.region, cp.country]
            group, text = "address", ", ".join(p for p in parts if p) or cp.value
        else:
            continue
        out[cp.party_id].setdefault(group, []).append(text)
    return out


def pair_rows(a: Party, b: Party) -> list[Row]:
    """Rows comparing ``a`` (the older customer) with ``b``: every survivorship field either has, then
    contact points and interaction counts (two queries in all). Field rows that differ are choosable; the
    default keeps A's value unless it is empty. A display name derived from the names is not choosable."""
    rows: list[Row] = []
    for name in SURVIVORSHIP_FIELDS:
        attname = Party._meta.get_field(name).attname
        raw_a, raw_b = getattr(a, attname), getattr(b, attname)
        if raw_a in (None, "") and raw_b in (None, ""):
            continue
        differs = raw_a != raw_b
        # a display name nobody typed follows the chosen names (see party_merge): nothing to choose
        derived = name == "display_name" and all(p.display_name == p.derived_display_name() for p in (a, b))
        rows.append(
            Row(
                name=name,
                label=str(Party._meta.get_field(name).verbose_name).capitalize(),
                a=_shown(a, name),
                b=_shown(b, name),
                differs=differs,
                choosable=differs and not derived,
                default=B if raw_a in (None, "") else A,
            )
        )
    contacts = _contacts(a, b)
    for group, label in (("email", _("Emails")), ("phone", _("Phones")), ("address", _("Addresses"))):
        va, vb = contacts[a.pk].get(group, []), contacts[b.pk].get(group, [])
        if va or vb:
            rows.append(Row(group, label, va, vb, differs=sorted(va) != sorted(vb)))
    counts = dict(
        Interaction.objects.filter(party_id__in=[a.pk, b.pk], is_current=True)
        .values_list("party_id")
        .annotate(n=Count("pk"))
        .values_list("party_id", "n")
    )
    na, nb = counts.get(a.pk, 0), counts.get(b.pk, 0)
    rows.append(Row("interactions", _("Interactions"), na, nb, differs=na != nb))
    return rows


class MergeForm(forms.Form):
    """Which customer survives, and for each differing field whose value to keep (A or B)."""

    survivor = forms.ChoiceField(
        label=gettext_lazy("Customer that stays"),
        choices=[(A, gettext_lazy("A")), (B, gettext_lazy("B"))],
        initial=A,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, rows: list[Row], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choosable = [row for row in rows if row.choosable]
        for row in self.choosable:
            self.fields[f"keep_{row.name}"] = forms.ChoiceField(
                label=row.label,
                choices=[(A, _("Keep A")), (B, _("Keep B"))],
                initial=row.default,
                widget=forms.RadioSelect,
            )

    def survivor_side(self) -> str:
        return self.cleaned_data["survivor"]

    def field_choices(self) -> dict[str, str]:
        """The choices as ``party_merge`` wants them: "survivor" or "merged" per field."""
        side = self.survivor_side()
        return {
            row.name: SURVIVOR if self.cleaned_data[f"keep_{row.name}"] == side else MERGED
            for row in self.choosable
        }
