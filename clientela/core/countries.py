"""Countries (ISO 3166-1 alpha-2) with names in the active language, from Babel's CLDR data."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from babel import Locale
from django.utils.translation import get_language


@lru_cache(maxsize=8)
def _names(lang: str) -> dict[str, str]:
    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except Exception:  # unknown locale: fall back to English names
        locale = Locale("en")
    territories = locale.territories
    # Alpha-2 codes that phonenumbers also knows: real countries, not CLDR regions like "150" or "EU".
    known = phonenumbers.SUPPORTED_REGIONS
    return {code: territories[code] for code in sorted(known) if code in territories}


def is_country(code: str) -> bool:
    return bool(code) and code.upper() in _names("en")


def country_choices() -> list[tuple[str, str]]:
    names = _names(get_language() or "en")
    return sorted(names.items(), key=lambda item: item[1])


def country_name(code: str) -> str:
    return _names(get_language() or "en").get(code.upper(), code) if code else ""
