"""Normalised forms of contact values and tax ids, used for matching and search.

Each function returns the normalised value or raises ``ValueError`` with a message for the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email
from stdnum.ar import cuit as ar_cuit
from stdnum.cl import rut as cl_rut
from stdnum.co import nit as co_nit
from stdnum.ec import ruc as ec_ruc
from stdnum.es import cif as es_cif
from stdnum.es import nif as es_nif
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.mx import rfc as mx_rfc
from stdnum.pe import ruc as pe_ruc
from stdnum.us import ein as us_ein
from stdnum.us import ssn as us_ssn

from clientela.core.text import fold


@dataclass(frozen=True)
class Phone:
    e164: str
    is_mobile: bool | None


def normalize_email(raw: str) -> tuple[str, str]:
    """(display form, matching key). The key lower-cases the local part and uses the ASCII (IDNA) domain."""
    value = (raw or "").strip()
    if not value:
        raise ValueError(_("Enter an email address."))
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(_("Enter a valid email address, like ana@example.es.")) from exc
    local = result.local_part.lower()
    domain = (result.ascii_domain or result.domain).lower()
    return result.normalized, f"{local}@{domain}"


@lru_cache(maxsize=256)
def normalize_phone(raw: str, region: str) -> Phone:
    """E.164 form of a phone number; numbers without a leading + or 00 are read in ``region``.

    Cached (a little): an imported row's number is read once to choose mobile or landline and again
    by the contact point's validation, and parsing is the costliest step of both."""
    value = (raw or "").strip()
    if not value:
        raise ValueError(_("Enter a phone number."))
    if value.startswith("00"):
        value = "+" + value[2:]
    try:
        number = phonenumbers.parse(value, region or None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_("Enter a valid phone number, like 612 34 56 78 or +34 612 34 56 78.")) from exc
    # number_type is UNKNOWN exactly when is_valid_number is False; asking once halves the pattern matching
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        raise ValueError(_("This is not a valid phone number for its country."))
    mobile: bool | None
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        mobile = True
    elif kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        mobile = False
    else:
        mobile = None  # FIXED_LINE_OR_MOBILE (US, MX...), VoIP and the like
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), mobile)


@lru_cache(maxsize=4096)
def format_phone(e164: str, home_region: str) -> str:
    """National format for numbers of ``home_region``, international otherwise.

    Cached: lists and search results format the same numbers again and again, and parsing one costs
    tens of microseconds."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == home_region
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


def normalize_website(raw: str) -> tuple[str, str]:
    """(URL with scheme, matching key: host without www plus path, lower-cased)."""
    value = (raw or "").strip()
    if not value:
        raise ValueError(_("Enter a web address."))
    if "://" not in value:
        value = "https://" + value
    try:
        URLValidator(schemes=["http", "https"])(value)
    except DjangoValidationError as exc:
        raise ValueError(_("Enter a valid web address, like www.example.es.")) from exc
    parts = urlsplit(value)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return value, (host + parts.path.rstrip("/")).lower()


_HANDLE = re.compile(r"^[\w.\-/]{1,100}$")


def normalize_social(network: str, raw: str) -> tuple[str, str]:
    """(handle as shown, key "network:handle"), accepting "@handle" or a profile URL."""
    value = (raw or "").strip()
    if not network:
        raise ValueError(_("Choose the social network."))
    if value.startswith(("http://", "https://")):
        value = urlsplit(value).path.strip("/").split("/")[-1] if urlsplit(value).path.strip("/") else ""
    handle = value.lstrip("@")
    if not handle or not _HANDLE.match(handle):
        raise ValueError(_("Enter the handle, like @clientela."))
    return "@" + handle, f"{network}:{handle.lower()}"


def address_key(street: str, postal_code: str, city: str, country: str) -> str:
    return "|".join(fold(part) for part in (street, postal_code, city, country.upper()))


# Tax id validators by country: python-stdnum knows the check digits of each scheme.
_TAX_MODULES: dict[str, list[Any]] = {
    "ES": [es_nif],  # DNI, NIE and CIF
    "MX": [mx_rfc],
    "AR": [ar_cuit],
    "CO": [co_nit],
    "CL": [cl_rut],
    "PE": [pe_ruc],
    "EC": [ec_ruc],
    "US": [us_ein, us_ssn],
}
_NON_ALNUM = re.compile(r"[^0-9A-Za-zÑñ&]")


@lru_cache(maxsize=256)
def normalize_tax_id(raw: str, country: str) -> str:
    """Compact, upper-case tax id, checked against the country's scheme when it is known.

    Cached (a little), like ``normalize_phone``: an imported row's tax id is checked once to tell a
    company from a person and again by the customer's validation."""
    compact = _NON_ALNUM.sub("", (raw or "").strip()).upper()
    if not compact:
        return ""
    modules = _TAX_MODULES.get((country or "").upper())
    if not modules:
        return compact
    if country.upper() == "ES" and compact.startswith("ES") and len(compact) == 11:
        compact = compact[2:]  # intra-community VAT prefix
    for module in modules:
        try:
            return str(module.validate(compact)).upper()
        except StdnumError:
            continue
    raise ValueError(_("This is not a valid tax id for the selected country (check the letters and digits)."))


def spanish_tax_id_is_company(tax_id: str) -> bool:
    """A Spanish CIF starts with a letter that names the kind of entity (A: S.A., B: S.L., ...)."""
    return bool(tax_id) and tax_id[0] in "ABCDEFGHJNPQRSUVW" and es_cif.is_valid(tax_id)
