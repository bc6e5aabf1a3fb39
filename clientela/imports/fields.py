"""Canonical import fields: the names a mapping file maps each column of a departmental export to.

These names are a public, documented interface (mapping files store them), so they never change
meaning; new fields may be added at the end of a tuple.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ENTITIES: tuple[str, ...] = ("parties", "interactions")

PARTY_FIELDS: tuple[str, ...] = (
    "external_id",
    "kind",
    "full_name",
    "given_name",
    "family_name",
    "organisation_name",
    "tax_id",
    "email",
    "email_2",
    "phone",
    "mobile",
    "fax",
    "website",
    "social_network",
    "social_handle",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
    "birth_date",
    "language",
    "owner",
    "tags",
    "notes",
)

INTERACTION_FIELDS: tuple[str, ...] = (
    "external_id",
    "kind",
    "occurred_at",
    "party_external_id",
    "party_email",
    "party_phone",
    "party_tax_id",
    "direction",
    "channel",
    "subject",
    "text",
    "amount",
    "currency",
    "document_number",
    "reference",
    "product",
    "quantity",
    "status",
    "user",
    "objective",
    "conclusion",
    "duration_seconds",
    "outcome",
)

# Leads (clientela.sales.lead_import): the lead's own fields, plus a full name split on import. Not one
# of ENTITIES: leads have their own import (``clientela import-leads``), not a job of the import screens.
LEAD_IMPORT_FIELDS: tuple[str, ...] = (
    "full_name",
    "given_names",
    "family_names",
    "email",
    "phone",
    "company",
    "job_title",
    "country",
    "interest",
    "notes",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "owner",
)

# Fields of which at least one must be mapped for a row to be usable (checked by resolve_columns).
IDENTIFYING_FIELDS: dict[str, tuple[str, ...]] = {
    "parties": ("full_name", "given_name", "family_name", "organisation_name"),
    "interactions": ("party_external_id", "party_email", "party_phone", "party_tax_id"),
    "leads": ("full_name", "given_names", "family_names", "company", "email", "phone"),
}

# Lazy so that the mapping screen and the docs show them in the reader's language.
FIELD_HELP = {
    "parties": {
        "external_id": _("The customer's code or id in the source system (used to update it on re-import)."),
        "kind": _("Person or organisation; guessed from the tax id and the name when left out."),
        "full_name": _("A person's full name, split into given and family names on import."),
        "given_name": _("A person's given name or names."),
        "family_name": _("A person's family name or names (one or two surnames)."),
        "organisation_name": _("The legal or trade name of a company or other organisation."),
        "tax_id": _("Tax identification number (NIF, CIF, NIE, RFC, VAT number...)."),
        "email": _("Main email address."),
        "email_2": _("Second email address."),
        "phone": _("Main phone number (landline or mobile)."),
        "mobile": _("Mobile phone number."),
        "fax": _("Fax number."),
        "website": _("Web address."),
        "social_network": _("Social network of the handle (LinkedIn, X, Instagram...)."),
        "social_handle": _("User name or profile address on the social network."),
        "street": _("Street address: street, number, floor and door."),
        "postal_code": _("Postal code."),
        "city": _("City, town or municipality."),
        "region": _("Province, state or region."),
        "country": _("Country, as a two-letter ISO code (ES, MX, US...)."),
        "birth_date": _("A person's date of birth."),
        "language": _("Preferred language for communications (es, en...)."),
        "owner": _("The user responsible for this customer (user name or email)."),
        "tags": _("Tags, separated by commas or semicolons."),
        "notes": _("Free-text notes and observations."),
    },
    "interactions": {
        "external_id": _("The record's id in the source system (used to update it on re-import)."),
        "kind": _("Kind of interaction: email, call, meeting, note, complaint, purchase, invoice..."),
        "occurred_at": _("Date, and optionally time, when it happened."),
        "party_external_id": _("The customer's code in the source system, to find the customer."),
        "party_email": _("The customer's email address, to find the customer."),
        "party_phone": _("The customer's phone number, to find the customer."),
        "party_tax_id": _("The customer's tax id, to find the customer."),
        "direction": _("Inbound (from the customer), outbound (to the customer) or internal."),
        "channel": _("Channel: email, phone, in person, web, shop, ERP..."),
        "subject": _("Subject or title."),
        "text": _("Description, message body or details."),
        "amount": _("Amount of money (invoices, purchases, payments, balances)."),
        "currency": _("Currency of the amount, as an ISO code (EUR, USD, MXN...)."),
        "document_number": _("Invoice, order or other document number."),
        "reference": _("Reference to another document, such as the invoice a payment or return relates to."),
        "product": _("Product, item or SKU."),
        "quantity": _("Number of units."),
        "status": _("Status (open, resolved, paid...)."),
        "user": _("The user who handled it (user name or email)."),
        "objective": _("Objective of the meeting or call."),
        "conclusion": _("Conclusion reached in the meeting or call."),
        "duration_seconds": _("Duration, in seconds or as mm:ss, hh:mm:ss, 1h 5m..."),
        "outcome": _("Outcome of the call (answered, no answer, voicemail, busy)."),
    },
}

_FIELDS: dict[str, tuple[str, ...]] = {
    "parties": PARTY_FIELDS,
    "interactions": INTERACTION_FIELDS,
    "leads": LEAD_IMPORT_FIELDS,
}


def fields_for(entity: str) -> tuple[str, ...]:
    """The canonical fields of ``entity`` ("parties", "interactions" or "leads"); ValueError for any other."""
    try:
        return _FIELDS[entity]
    except KeyError:
        raise ValueError(f"unknown import entity {entity!r}; expected one of {', '.join(_FIELDS)}") from None
