"""Valid tax ids for demo organisations (and Spanish DNIs for some people), in the compact form that
``clientela.parties.normalize.normalize_tax_id`` stores. Check digits come from python-stdnum."""

from __future__ import annotations

import random

from stdnum.ar import cuit
from stdnum.co import nit
from stdnum.es import cif, dni
from stdnum.mx import rfc

# Spanish province codes in CIFs (01-52 plus the extra codes of the larger provinces).
_CIF_PROVINCES = (*(f"{n:02d}" for n in range(1, 53)), "58", "59", "60", "61", "62", "63", "64", "65", "66")
# EIN prefixes the IRS assigns (python-stdnum checks them against the same list).
_EIN_PREFIXES = (
    "10", "12", "20", "27", "30", "32", "35", "36", "37", "38", "39", "41", "42", "43", "45", "46", "47",
    "48", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "63", "64", "65",
    "66", "67", "68", "71", "72", "73", "74", "75", "76", "77", "80", "81", "82", "83", "84", "85", "86",
    "87", "88", "90", "91", "92", "93", "94", "95", "98", "99",
)  # fmt: skip
_RFC_HOMOCLAVE_1 = "123456789ABCDEFGHIJKLMNPQRSTUV"
_RFC_HOMOCLAVE_2 = "123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CUIT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def spanish_cif(rng: random.Random, letter: str) -> str:
    """A CIF such as B28123456 whose numeric check digit is right (letters A and B use digits)."""
    body = letter + rng.choice(_CIF_PROVINCES) + _digits(rng, 5)
    return body + cif.calc_check_digits(body)[0]


def spanish_dni(rng: random.Random) -> str:
    """A DNI (8 digits and the control letter)."""
    number = f"{rng.randint(1_000_000, 79_999_999):08d}"
    return number + dni.calc_check_digit(number)


def mexican_company_rfc(rng: random.Random, initials: str, founded_yymmdd: str) -> str:
    """A 12-character company RFC: three letters of the name, incorporation date, homoclave, check digit."""
    letters = "".join(ch for ch in initials.upper() if ch in _LETTERS)
    letters = (letters + "".join(rng.choice(_LETTERS) for _ in range(3)))[:3]
    body = letters + founded_yymmdd + rng.choice(_RFC_HOMOCLAVE_1) + rng.choice(_RFC_HOMOCLAVE_2)
    return body + rfc.calc_check_digit(body)


def argentine_cuit(rng: random.Random) -> str:
    """A company CUIT (type 30 or 33) with its check digit. Bodies whose remainder would give check
    digit 10 are drawn again: AFIP never issues them (it changes the type prefix instead)."""
    while True:
        body = rng.choice(("30", "30", "33")) + _digits(rng, 8)
        if sum(w * int(n) for w, n in zip(_CUIT_WEIGHTS, body, strict=True)) % 11 != 1:
            return body + cuit.calc_check_digit(body)


def colombian_nit(rng: random.Random) -> str:
    """A company NIT (9 digits starting 800-901) followed by its check digit."""
    body = str(rng.randint(800_000_000, 901_999_999))
    return body + nit.calc_check_digit(body)


def us_ein(rng: random.Random) -> str:
    """An EIN with a prefix the IRS assigns."""
    return rng.choice(_EIN_PREFIXES) + _digits(rng, 7)


def company_tax_id(rng: random.Random, country: str, letter: str, initials: str, founded_yymmdd: str) -> str:
    """A valid company tax id of ``country`` in compact form."""
    if country == "ES":
        return spanish_cif(rng, letter or "B")
    if country == "MX":
        return mexican_company_rfc(rng, initials, founded_yymmdd)
    if country == "AR":
        return argentine_cuit(rng)
    if country == "CO":
        return colombian_nit(rng)
    return us_ein(rng)
