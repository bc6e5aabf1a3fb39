"""Words for the matching engine's codes, so a score's explanation reads in the user's language.

The engine (``matching/``) returns stable codes; this table is the only place that names them for people.
A code missing here is shown as it is rather than hidden.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

FIELDS = {
    "prior": _("Starting point (how rare duplicates are)"),
    "given_name": _("Given name"),
    "family_name": _("Family names"),
    "organisation_name": _("Organisation name"),
    "email": _("Email"),
    "phone": _("Phone"),
    "tax_id": _("Tax id"),
    "birth_date": _("Birth date"),
    "street": _("Street"),
    "postal_code": _("Postal code"),
    "city": _("City"),
    "handle": _("Social profile"),
    "external_id": _("Id in another system"),
    "address_dependence": _("Same household correction"),
}

LEVELS = {
    "prior": "",
    "missing": _("missing on one side"),
    "exact": _("the same"),
    "nickname": _("a nickname of the other"),
    "token_subset": _("one inside the other"),
    "initial": _("an initial of the other"),
    "jaro_winkler>=0.92": _("almost the same (a typo)"),
    "jaro_winkler>=0.90": _("almost the same"),
    "jaro_winkler>=0.80": _("similar"),
    "double_surname_partial": _("one of the two family names"),
    "swapped_with_family": _("swapped with the family name"),
    "swapped_with_given": _("swapped with the given name"),
    "one_edit": _("one character apart"),
    "day_month_swapped": _("day and month swapped"),
    "same_year": _("same year only"),
    "same_local_part": _("same name before the @"),
    "same_domain": _("same domain only"),
    "exact_generic_mailbox": _("the same shared mailbox (info@...)"),
    "exact_mobile": _("the same mobile"),
    "exact_landline": _("the same landline"),
    "same_source_same_id": _("the same id in the same system"),
    "same_source_other_id": _("another id in the same system"),
    "different": _("different"),
    "capped": _("shared surname and address counted once"),
    "none": _("no correction"),
}


def labelled(explanation: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries of an explanation with ``field_label`` and ``level_label`` added (codes as fallback)."""
    out = []
    for entry in explanation:
        field, level = str(entry.get("field", "")), str(entry.get("level", ""))
        out.append(
            {**entry, "field_label": FIELDS.get(field, field), "level_label": LEVELS.get(level, level)}
        )
    return out


# Stages of a duplicate detection run (ResolutionRun.stage), for progress shown on the CLI and the web.
STAGES = {
    "read": _("reading customers"),
    "keys": _("indexing for duplicate checks"),
    "match": _("matching"),
    "queue": _("queueing pairs"),
    "merge": _("merging"),
}
