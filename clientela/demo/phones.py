"""Valid phone numbers for the demo countries.

Numbers are drawn from each country's real numbering plan (Spanish mobiles 6xx / 71x-74x, landlines by
province prefix; Mexican 10-digit numbers by area code; Argentine mobiles +54 9 <area> ...; Colombian
mobiles 3xx and 60x landlines; US numbers with real area codes) and every one is checked with
``phonenumbers``: a draw that the library does not accept as valid of the wanted type is drawn again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType

from clientela.demo.data import City

_CALLING_CODES = {"ES": 34, "MX": 52, "AR": 54, "CO": 57, "US": 1}
_NATIONAL_LENGTH = {"ES": 9, "MX": 10, "AR": 10, "CO": 10, "US": 10}
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
_LANDLINE_TYPES = frozenset({PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
_ATTEMPTS = 50


@dataclass(frozen=True)
class DemoPhone:
    """A generated number: E.164 matching key and the international form shown to users."""

    e164: str
    value: str


def _digits(rng: random.Random, prefix: str, length: int) -> str:
    """``prefix`` followed by random digits up to ``length``; the first added digit avoids 0 and 1,
    which no demo plan allows right after an area code (US exchanges, Spanish and Latin American locals)."""
    rest = length - len(prefix)
    if rest <= 0:
        return prefix[:length]
    first = str(rng.randint(2, 9))
    return prefix + first + "".join(str(rng.randrange(10)) for _ in range(rest - 1))


def _mobile_national(rng: random.Random, country: str, city: City) -> str:
    if country == "ES":
        prefix = "6" if rng.random() < 0.8 else "7" + str(rng.randint(1, 4))
        return prefix + "".join(str(rng.randrange(10)) for _ in range(9 - len(prefix)))
    if country == "CO":
        prefix = rng.choice(
            ("300", "301", "304", "310", "311", "312", "313", "315", "316", "317", "320", "321")
        )
        return prefix + "".join(str(rng.randrange(10)) for _ in range(7))
    if country == "AR":
        # Mobiles are dialled from abroad as +54 9 <area code> <local number without the 15>.
        return "9" + _digits(rng, city.area_codes[0], 10)
    return _digits(rng, rng.choice(city.area_codes), _NATIONAL_LENGTH[country])


def _landline_national(rng: random.Random, country: str, city: City) -> str:
    area = rng.choice(city.area_codes)
    if country == "AR":
        # Argentine landlines start with 4 in every area that the demo uses.
        return area + "4" + "".join(str(rng.randrange(10)) for _ in range(10 - len(area) - 1))
    return _digits(rng, area, _NATIONAL_LENGTH[country])


class PhoneMaker:
    """Draws valid mobile and landline numbers; verifies each one with ``phonenumbers``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.redraws = 0

    def _make(self, country: str, city: City, mobile: bool) -> DemoPhone:
        code = _CALLING_CODES[country]
        wanted = _MOBILE_TYPES if mobile else _LANDLINE_TYPES
        draw = _mobile_national if mobile else _landline_national
        for _ in range(_ATTEMPTS):
            national = draw(self.rng, country, city)
            number = PhoneNumber(country_code=code, national_number=int(national))
            # number_type() answers UNKNOWN for numbers that are not valid, so one call checks both.
            if phonenumbers.number_type(number) in wanted:
                return DemoPhone(
                    e164=f"+{code}{national}",
                    value=phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
                )
            self.redraws += 1
        raise RuntimeError(f"no valid {'mobile' if mobile else 'landline'} number for {country} {city.name}")

    def mobile(self, country: str, city: City) -> DemoPhone:
        """A valid mobile number of ``country`` (area code of ``city`` where mobiles carry one)."""
        return self._make(country, city, mobile=True)

    def landline(self, country: str, city: City) -> DemoPhone:
        """A valid landline number in ``city``."""
        return self._make(country, city, mobile=False)
