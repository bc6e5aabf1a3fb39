"""Deterministic synthetic party data with known duplicates, for tests and benchmarks.

Family names follow a heavy-tailed distribution (a few very common surnames, as in Spain), some
households share a landline and surname, and duplicates are corrupted the way CRM data is: typos,
nicknames, a dropped second surname, day/month swaps, abbreviations, missing or changed contacts.
"""

from __future__ import annotations

import datetime
import itertools
import random
import unicodedata
from dataclasses import replace

from .records import PartyRecord

GIVEN = [
    "José", "Francisco", "Dolores", "Ignacio", "Pilar", "Concepción", "Rosario", "Manuel", "Enrique",
    "Antonio", "María", "Carmen", "Javier", "Lucía", "Marta", "Sergio", "Alberto", "Elena", "Raquel",
    "Pablo", "Andrés", "Beatriz", "Cristina", "Diego", "Eva", "Fernando", "Gloria", "Héctor", "Irene",
    "Jorge", "Laura", "Miguel", "Nuria", "Óscar", "Patricia", "Ramón", "Silvia", "Tomás", "Verónica",
    "William", "Robert", "Elizabeth", "Margaret", "James", "Susan", "Richard", "Thomas", "Daniel", "Sara",
]  # fmt: skip
NICKNAME_OF = {
    "José": "Pepe", "Francisco": "Paco", "Dolores": "Lola", "Ignacio": "Nacho", "Pilar": "Pili",
    "Concepción": "Concha", "Rosario": "Charo", "Manuel": "Manolo", "Enrique": "Quique",
    "William": "Bill", "Robert": "Bob", "Elizabeth": "Liz", "Margaret": "Peggy", "James": "Jim",
}  # fmt: skip
FAMILY = [
    "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
    "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso",
    "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Ramírez", "Serrano",
    "Blanco", "Molina", "Morales", "Suárez", "Ortega", "Delgado", "Castro", "Ortiz", "Rubio", "Marín",
    "Sanz", "Núñez", "Iglesias", "Medina", "Garrido", "Cortés", "Castillo", "Santos", "Lozano", "Guerrero",
    "Cano", "Prieto", "Méndez", "Cruz", "Calvo", "Gallego", "Vidal", "León", "Márquez", "Herrera", "Peña",
    "Flores", "Cabrera", "Campos", "Vega", "Fuentes", "Carrasco", "Diez", "Caballero", "Reyes", "Nieto",
    "Aguilar", "Pascual", "Santana", "Herrero", "Lorenzo", "Montero", "Hidalgo", "Giménez", "Ibáñez",
    "Ferrer", "Durán", "Santiago", "Benítez", "Mora", "Vicente", "Vargas", "Arias", "Carmona", "Crespo",
    "Román", "Pastor", "Soto", "Sáez", "Velasco", "Moya", "Soler", "Parra", "Esteban", "Bravo", "Gallardo",
    "Rojo", "Zubizarreta", "Etxeberria", "Olabarrieta", "Goikoetxea", "Urquijo", "Aranguren", "Zabaleta",
]  # fmt: skip
STREETS = ["Mayor", "Real", "Alcalá", "Gran Vía", "del Sol", "de la Paz", "Serrano", "Atocha", "Colón",
           "San Juan", "Goya", "Velázquez", "de los Olmos", "Nueva", "Castilla", "Toledo", "Valencia"]  # fmt: skip
STREET_TYPES = [("Calle", "C/"), ("Avenida", "Avda."), ("Paseo", "Pº"), ("Plaza", "Pza.")]
CITIES = ["Madrid", "Barcelona", "Valencia", "Sevilla", "Zaragoza", "Málaga", "Bilbao", "Alicante", "Córdoba",
          "Valladolid", "Vigo", "Gijón", "Granada", "Oviedo", "Cádiz", "Jaén", "Lugo", "Ávila"]  # fmt: skip
DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    op = rng.randrange(3)
    if op == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if op == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + rng.choice("aeioulnrst") + text[i + 1 :]


# Zipf-like: index drawn with weight 1/(rank+1) so García is far more common than Zabaleta.
_FAMILY_CUM = list(itertools.accumulate(1.0 / (k + 1) for k in range(len(FAMILY))))


def _family_name(rng: random.Random) -> str:
    return rng.choices(FAMILY, cum_weights=_FAMILY_CUM)[0]


def _entity(rng: random.Random, k: int) -> PartyRecord:
    given = rng.choice(GIVEN)
    first, second = _family_name(rng), _family_name(rng)
    family = f"{first} {second}" if rng.random() < 0.7 else first
    dni = rng.randrange(10_000_000, 99_999_999)
    birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(0, 60 * 365))
    street_type = rng.choice(STREET_TYPES)[0]
    local = _strip_accents(f"{given}.{first}{k}").lower().replace(" ", "")
    mobile = f"+346{rng.randrange(10_000_000, 99_999_999)}"
    return PartyRecord(
        id=f"e{k}-0",
        given_name=given,
        family_name=family,
        emails=(f"{local}@{rng.choice(['gmail.com', 'hotmail.com', 'yahoo.es'])}",),
        phones=(mobile,),
        mobiles=(mobile,),
        tax_id=f"{dni}{DNI_LETTERS[dni % 23]}",
        birth_date=birth,
        street=f"{street_type} {rng.choice(STREETS)} {rng.randrange(1, 200)}",
        postal_code=f"{rng.randrange(1, 52):02d}{rng.randrange(0, 1000):03d}",
        city=rng.choice(CITIES),
    )


def corrupt(rng: random.Random, rec: PartyRecord, dup: int) -> PartyRecord:
    """A duplicate of `rec` (id suffix `dup`) with one to three CRM-style corruptions."""
    changes: dict[str, object] = {"id": rec.id.rsplit("-", 1)[0] + f"-{dup}"}
    ops = rng.sample(range(10), k=rng.randint(1, 3))
    for op in ops:
        if op == 0:
            changes["given_name"] = _typo(rng, rec.given_name)
        elif op == 1:
            changes["family_name"] = _typo(rng, rec.family_name)
        elif op == 2 and rec.given_name in NICKNAME_OF:
            changes["given_name"] = NICKNAME_OF[rec.given_name]
        elif op == 3 and " " in rec.family_name:
            changes["family_name"] = rec.family_name.split()[0]
        elif op == 4 and rec.birth_date and rec.birth_date.day <= 12:
            changes["birth_date"] = rec.birth_date.replace(month=rec.birth_date.day, day=rec.birth_date.month)
        elif op == 5:
            changes["emails"] = ()
        elif op == 6:
            changes["phones"] = changes["mobiles"] = ()
        elif op == 7:
            for full, short in STREET_TYPES:
                changes["street"] = rec.street.replace(full, short)
        elif op == 8:
            changes["given_name"] = _strip_accents(rec.given_name).upper()
            changes["family_name"] = _strip_accents(rec.family_name).upper()
        elif op == 9:
            changes["tax_id"] = ""
    return replace(rec, **changes)  # type: ignore[arg-type]


def _drop_fields(rng: random.Random, rec: PartyRecord, rate: float) -> PartyRecord:
    """Leave out optional values the way incomplete forms do (each with probability `rate`)."""
    changes: dict[str, object] = {}
    for name, empty in (("birth_date", None), ("tax_id", ""), ("street", ""), ("postal_code", ""),
                        ("emails", ()), ("city", "")):  # fmt: skip
        if rng.random() < rate:
            changes[name] = empty
    return replace(rec, **changes) if changes else rec  # type: ignore[arg-type]


def _namesake(rng: random.Random, rec: PartyRecord, k: int) -> PartyRecord:
    """A different person with the same given and family names living in the same city."""
    other = _entity(rng, k)
    return replace(other, given_name=rec.given_name, family_name=rec.family_name, city=rec.city)


def generate(
    n: int, seed: int = 7, duplicate_rate: float = 0.25, namesake_rate: float = 0.0, missing_rate: float = 0.0
) -> list[PartyRecord]:
    """About `n` records: entities, their corrupted duplicates (ids "e<k>-<d>") and households whose
    members share a surname and a landline but are different people.

    `namesake_rate` adds different people sharing a common full name and city (they must stay apart);
    `missing_rate` blanks optional fields (birth date, tax id, address parts, email) at random.
    """
    rng = random.Random(seed)
    records: list[PartyRecord] = []
    k = 0
    while len(records) < n:
        base = _entity(rng, k)
        if missing_rate:
            base = _drop_fields(rng, base, missing_rate)
        if namesake_rate and rng.random() < namesake_rate:
            k += 1
            records.append(_namesake(rng, base, k))
        if rng.random() < 0.1:
            # A household: a second person with the same surname, address and landline.
            landline = f"+349{rng.randrange(10_000_000, 99_999_999)}"
            base = replace(base, phones=(*base.phones, landline))
            partner = replace(
                _entity(rng, k + 1), family_name=base.family_name, street=base.street,
                postal_code=base.postal_code, city=base.city, phones=(landline,), mobiles=(),
            )  # fmt: skip
            records.append(partner)
            k += 1
        records.append(base)
        if rng.random() < duplicate_rate:
            for dup in range(1, rng.choice([2, 2, 2, 3]) if rng.random() < 0.2 else 2):
                records.append(corrupt(rng, base, dup))
        k += 1
    return records[:n]


def true_entity(record_id: str) -> str:
    """Entity of a synthetic record id ("e12-1" -> "e12")."""
    return record_id.rsplit("-", 1)[0]
