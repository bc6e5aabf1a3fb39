"""A harder identity data set: Spanish customers as three departments typed them, with known truth.

Customers come from the islands generator (`clientela.demo.islands_data.build_population`: Spanish
names and companies, real cities and postal codes, DNI/CIF, mobiles and landlines). Each customer is then
written by the departments that know it, the way each one types:

* finance: "GARCÍA LÓPEZ" in capitals at times, the tax id most of the time, the address, a phone
  (often the landline) and the email, now and then a typo in the surname;
* sales: the first given name only half the time, the first surname only 40% of the time, accents lost,
  nicknames (Pepe for José, Lola for Dolores, from the nickname table), the mobile and the email as typed;
* support: what an agent writes down from a call: nicknames, typos, one surname, an email or a phone.

Every field goes missing now and then. Two traps that must stay apart: households (a second person with
the same first surname, street, postal code and landline) and namesakes (another person with the same
given name and both surnames in the same city). A record's truth is its customer number.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from clientela.demo.islands_data import unaccent
from clientela.identity.matching.synthetic import _typo

SOURCES = ("finance", "sales", "support")
# The commonest Spanish names (INE): people who share one in one city are not the same person.
COMMON_GIVEN = (
    "María Carmen",
    "Antonio",
    "María",
    "Manuel",
    "José",
    "Carmen",
    "Francisco",
    "Ana María",
    "David",
    "Laura",
)
COMMON_FAMILY = ("García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez")
SHARE = {"finance": 0.8, "sales": 0.6, "support": 0.45}


@dataclass(frozen=True)
class Row:
    """One department's record of one customer: the fields both engines read, plus the truth."""

    id: str
    entity: int
    source: str
    kind: str
    given: str
    family: str
    organisation: str
    tax_id: str
    email: str
    phone: str  # E.164
    mobile: bool
    street: str
    postal_code: str
    city: str


def _nicknames() -> dict[str, list[str]]:
    """Canonical folded given name -> nicknames (from the engine's table, the only one we have)."""
    from clientela.identity.matching.nicknames import _NICKNAMES

    out: dict[str, list[str]] = {}
    for nick, names in _NICKNAMES.items():
        out.setdefault(names[0], []).append(nick.capitalize())
    return out


def _population(customers: int, seed: int) -> list:
    """Islands customers plus household members and namesakes (distinct people, so distinct truths)."""
    from dataclasses import replace

    from clientela.demo.islands_data import build_population
    from clientela.demo.taxids import spanish_dni

    rng = random.Random(seed)
    base = build_population(customers, seed)
    people = [c for c in base if c.is_person]
    extra = []
    number = len(base)
    for k, c in enumerate(base):
        # As in Spain, a fifth of people have one of the commonest given names, a fifth one of the
        # commonest surnames: frequent in the data too, so "common" is something an engine can learn.
        if c.is_person and rng.random() < 0.2:
            c = base[k] = replace(c, given=rng.choice(COMMON_GIVEN))
        if c.is_person and rng.random() < 0.2:
            base[k] = replace(c, family_1=rng.choice(COMMON_FAMILY))
    people = [c for c in base if c.is_person]
    for c in people:
        roll = rng.random()
        if roll < 0.08 and c.landline:  # a household: same surname, address and landline
            family_2 = rng.choice(people).family_2
            extra.append(
                replace(c, number=number, given=rng.choice(people).given, family_2=family_2,
                        tax_id=spanish_dni(rng), email="", mobile="")
            )  # fmt: skip
            number += 1
        elif c.given in COMMON_GIVEN and c.family_1 in COMMON_FAMILY and rng.random() < 0.5:
            # a namesake: the same common full name in the same city, nothing else in common
            street = f"{rng.choice(people).street.split(',')[0]}, {rng.randint(1, 150)}"
            extra.append(
                replace(c, number=number, street=street, tax_id=spanish_dni(rng), landline="",
                        mobile=f"6{rng.randrange(10**7, 10**8)}", email="")
            )  # fmt: skip
            number += 1
    return base + extra


def build(customers: int = 6000, seed: int = 7) -> list[Row]:
    """The records of every department, shuffled; about 1.9 records per customer."""
    rng = random.Random(seed + 1)
    nicks = _nicknames()
    rows: list[Row] = []
    for c in _population(customers, seed):
        sources = [s for s in SOURCES if rng.random() < SHARE[s]] or [rng.choice(SOURCES)]
        for source in sources:
            rows.append(_written_by(rng, nicks, c, source, len(rows)))
    rng.shuffle(rows)
    return rows


def _written_by(rng: random.Random, nicks: dict[str, list[str]], c, source: str, n: int) -> Row:
    def maybe(value: str, keep: float) -> str:
        return value if value and rng.random() < keep else ""

    given, family, organisation = "", "", ""
    if c.is_person:
        given, family = c.given, f"{c.family_1} {c.family_2}"
        if source != "finance":
            if rng.random() < 0.5:
                given = given.split()[0]
            if rng.random() < (0.4 if source == "sales" else 0.5):
                family = c.family_1
            folded = unaccent(given.split()[0]).lower()
            if folded in nicks and rng.random() < (0.2 if source == "sales" else 0.3):
                given = rng.choice(nicks[folded])
        typo_rate = {"finance": 0.05, "sales": 0.1, "support": 0.15}[source]
        if rng.random() < typo_rate:
            family = _typo(rng, family)
        if rng.random() < typo_rate:
            given = _typo(rng, given)
        if rng.random() < (0.35 if source == "finance" else 0.1):
            given, family = given.upper(), family.upper()
        if source != "finance" and rng.random() < 0.4:
            given, family = unaccent(given), unaccent(family)
    else:
        organisation = c.name if source == "finance" or rng.random() < 0.5 else c.base_name
        if source == "support" and rng.random() < 0.15:
            organisation = _typo(rng, organisation)
        if rng.random() < 0.3:
            organisation = organisation.upper()
    if source == "finance":
        number = c.landline if (c.landline and (not c.is_person or rng.random() < 0.5)) else c.mobile
        email, tax_id = maybe(c.email, 0.8), maybe(c.tax_id, 0.85)
        street, postal_code, city = maybe(c.street, 0.95), maybe(c.postal_code, 0.9), maybe(c.city.name, 0.95)
    elif source == "sales":
        number = maybe(c.mobile, 0.9)
        email = maybe(c.email, 0.85)
        if email and rng.random() < 0.3:
            email = email.capitalize()
        tax_id, street, postal_code = "", "", ""
        city = maybe(unaccent(c.city.name) if rng.random() < 0.3 else c.city.name, 0.8)
    else:
        number = maybe(c.mobile or c.landline, 0.6)
        email = maybe(c.email, 0.6)
        tax_id, street, postal_code, city = "", "", "", ""
    return Row(
        id=f"r{n}",
        entity=c.number,
        source=source,
        kind=c.kind,
        given=given,
        family=family,
        organisation=organisation,
        tax_id=tax_id,
        email=email,
        phone=f"+34{number}" if number else "",
        mobile=bool(number) and number == c.mobile,
        street=street,
        postal_code=postal_code,
        city=city,
    )


def party_records(rows: list[Row]) -> list:
    from clientela.identity.matching import PartyRecord

    return [
        PartyRecord(
            id=r.id,
            kind="organisation" if r.kind == "organisation" else "person",
            given_name=r.given,
            family_name=r.family,
            organisation_name=r.organisation,
            emails=(r.email,) if r.email else (),
            phones=(r.phone,) if r.phone else (),
            mobiles=(r.phone,) if r.mobile else (),
            tax_id=r.tax_id,
            street=r.street,
            postal_code=r.postal_code,
            city=r.city,
        )
        for r in rows
    ]


def splink_frame(rows: list[Row]):
    """The same records for Splink, cleaned the way its examples expect (lower case, no accents)."""
    import pandas as pd

    def clean(text: str) -> str | None:
        value = unaccent(text).lower().strip()
        return value or None

    return pd.DataFrame(
        {
            "unique_id": [r.id for r in rows],
            "given_name": [clean(r.given.split()[0]) if r.given else None for r in rows],
            "surname_1": [clean(r.family.split()[0]) if r.family else None for r in rows],
            "surname_2": [clean(r.family.split()[1]) if len(r.family.split()) > 1 else None for r in rows],
            "organisation": [clean(r.organisation) for r in rows],
            "tax_id": [clean(r.tax_id) for r in rows],
            "email": [clean(r.email) for r in rows],
            "phone": [r.phone or None for r in rows],
            "street": [clean(r.street) for r in rows],
            "postcode": [r.postal_code or None for r in rows],
            "city": [clean(r.city) for r in rows],
        }
    )
