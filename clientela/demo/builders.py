"""Row builders for demo people and organisations, their contact points, relationships and tags.

Rows are plain tuples in the column order of the writers in ``clientela.demo.parties``; children refer
to their party by its position in the chunk until the chunk's parties are inserted and have ids.
Values are built already normalised the way the services store them (E.164 phones, folded names,
``address_key`` addresses) and the tests check them against the real normalisers.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from clientela.demo.data import (
    COUNTRIES,
    NOTES_EN,
    NOTES_ES,
    ORG_MAILBOXES,
    PLACES_EN,
    PLACES_ES,
    SECTORS_EN,
    SECTORS_ES,
    TITLES_EN,
    TITLES_ES,
    City,
    CountryProfile,
)
from clientela.demo.generator import StaffMember
from clientela.demo.phones import PhoneMaker
from clientela.demo.pools import LocalePool, Name, fast_fold, slug
from clientela.demo.taxids import company_tax_id, spanish_dni

T = TypeVar("T")

# Birth and start dates count back from a fixed day so a seed gives the same data on any day.
REFERENCE_DATE = dt.date(2025, 1, 1)
HISTORY_SECONDS = 3 * 365 * 24 * 3600  # created_at spreads over the last three years
STATUSES = ("lead",) * 3 + ("prospect",) * 2 + ("customer",) * 4 + ("former",)
_STOPWORDS = frozenset({"", "y", "e", "de", "del", "la", "las", "los", "el", "and", "the"})


def weighted(pairs: Sequence[tuple[T, int]]) -> tuple[T, ...]:
    """A table where each value appears ``weight`` times, for O(1) weighted draws with ``rng.choice``."""
    return tuple(value for value, weight in pairs for _ in range(weight))


@dataclass(slots=True)
class OrgRef:
    """An organisation people can work at; ``id`` is known once its chunk is inserted."""

    pos: int
    domain: str
    country: str
    id: int = 0


@dataclass(slots=True)
class Chunk:
    """The rows of one batch of parties, before ids are known."""

    parties: list[tuple[Any, ...]] = field(default_factory=list)
    created: list[Any] = field(default_factory=list)
    contacts: list[tuple[Any, ...]] = field(default_factory=list)
    relationships: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[int, int]] = field(default_factory=list)
    tag_names: dict[int, list[str]] = field(default_factory=dict)
    orgs: list[OrgRef] = field(default_factory=list)


class PartyBuilder:
    """Builds one person or organisation at a time into a Chunk, drawing from ``rng`` only."""

    def __init__(
        self,
        rng: random.Random,
        pools: dict[str, LocalePool],
        staff: Sequence[StaffMember],
        tags: dict[int, str],
        now: dt.datetime,
        prepare_datetime: Callable[[dt.datetime], Any],
        total: int,
    ) -> None:
        self.rng = rng
        self.pools = pools
        self.phones = PhoneMaker(rng)
        self.owners: tuple[tuple[int | None, int | None], ...] = tuple(
            (m.user_id, m.team_id) for m in staff
        ) or ((None, None),)
        self.tags = tags
        # Ordered by name, not id: tags created earlier by users must not change what a seed draws.
        self.tag_ids = tuple(sorted(tags, key=tags.__getitem__))
        self.prepare_datetime = prepare_datetime
        # Creation times grow with the position in the stream (as ids do) over the last three years;
        # ascending times also keep the timestamp indexes append-only, which makes inserts faster.
        self.first_created = now - dt.timedelta(seconds=HISTORY_SECONDS)
        self.seconds_per_party = HISTORY_SECONDS / max(total, 1)
        self.position = 0
        self.countries = weighted([(c, c.weight) for c in COUNTRIES])
        self.email_domains = {c.code: weighted(c.email_domains) for c in COUNTRIES}
        self.legal_forms = {c.code: weighted([(f, f.weight) for f in c.legal_forms]) for c in COUNTRIES}
        # The last organisations of each country, for people to work at (bounded: memory stays flat).
        self.org_window: dict[str, list[OrgRef]] = {c.code: [] for c in COUNTRIES}

    # --- shared pieces ---------------------------------------------------------------------------------

    def _common(self, chunk: Chunk) -> tuple[str, Any, Any, Any]:
        """Status, owner, team and the prepared creation time of the next party; also draws its tags."""
        rng = self.rng
        owner, team = rng.choice(self.owners) if rng.random() < 0.92 else (None, None)
        offset = self.position * self.seconds_per_party + rng.random() * self.seconds_per_party
        self.position += 1
        created = self.prepare_datetime(self.first_created + dt.timedelta(seconds=int(offset)))
        pos = len(chunk.parties)
        chunk.created.append(created)
        if self.tag_ids and rng.random() < 0.45:
            chosen = rng.sample(self.tag_ids, min(len(self.tag_ids), rng.choice((1, 1, 1, 2, 2, 3))))
            chunk.tags.extend((pos, tag_id) for tag_id in chosen)
            chunk.tag_names[pos] = sorted(self.tags[t] for t in chosen)
        return rng.choice(STATUSES), owner, team, created

    def _note(self, language: str) -> str:
        if self.rng.random() >= 0.06:
            return ""
        return self.rng.choice(NOTES_ES if language == "es" else NOTES_EN)

    def _contact(
        self,
        chunk: Chunk,
        primaries: set[str],
        kind: str,
        label: str,
        value: str,
        normalized: str,
        network: str = "",
        address: tuple[str, str, str, str, str] = ("", "", "", "", ""),
    ) -> None:
        # The first contact point of each kind is the primary one: exactly one primary per kind.
        primary = kind not in primaries
        primaries.add(kind)
        chunk.contacts.append(
            (len(chunk.parties), kind, label, primary, value, normalized, network, *address)
        )

    def _address(
        self, chunk: Chunk, primaries: set[str], country: CountryProfile, city: City, label: str
    ) -> None:
        rng = self.rng
        street = rng.choice(self.pools[country.code].streets)
        code = country.code
        if code == "ES":
            line = f"{street}, {rng.randint(1, 150)}"
            if rng.random() < 0.35:
                line += f", {rng.randint(1, 9)}º {rng.choice('ABCD')}"
        elif code == "MX":
            line = f"{street} {rng.randint(1, 2500)}"
            if rng.random() < 0.25:
                line += f", Int. {rng.randint(1, 40)}"
        elif code == "AR":
            line = f"{street} {rng.randint(100, 6000)}"
            if rng.random() < 0.3:
                line += f", Piso {rng.randint(1, 15)}, Dto. {rng.choice('ABCDEF')}"
        elif code == "CO":
            line = f"{street} # {rng.randint(1, 150)}-{rng.randint(1, 99)}"
        else:
            line = f"{rng.randint(1, 9999)} {street}"
            if rng.random() < 0.25:
                line += f", Suite {rng.randint(100, 900)}"
        postal = f"{city.postal_prefix}{rng.randint(city.postal_lo, city.postal_hi):0{city.postal_width}d}"
        if city.postal_prefix:  # Argentine CPA: C1425DKA
            postal += "".join(rng.choice("ABCDEFGHIJKLMNPQRSTUVWXYZ") for _ in range(3))
        value = ", ".join((line, f"{postal} {city.name}", city.region, code))
        # The matching key of clientela.parties.normalize.address_key, with the faster equivalent fold.
        normalized = "|".join((fast_fold(line), fast_fold(postal), fast_fold(city.name), code.lower()))
        self._contact(
            chunk,
            primaries,
            "address",
            label,
            value,
            normalized,
            address=(line, postal, city.name, city.region, code),
        )

    def _phone(
        self, chunk: Chunk, primaries: set[str], kind: str, label: str, country: str, city: City
    ) -> None:
        phone = self.phones.mobile(country, city) if kind == "mobile" else self.phones.landline(country, city)
        self._contact(chunk, primaries, kind, label, phone.value, phone.e164)

    # --- people ----------------------------------------------------------------------------------------

    def person(self, chunk: Chunk) -> None:
        """Append one person with contact points, maybe a job (relationship) and tags."""
        rng = self.rng
        country = rng.choice(self.countries)
        pool = self.pools[country.code]
        female = rng.random() < 0.5
        names = pool.female if female else pool.male
        given: Sequence[Name] = (rng.choice(names),)
        if country.code != "US" and rng.random() < 0.12:
            second = rng.choice(names)
            if second.text != given[0].text:
                given = (given[0], second)
        family_1 = rng.choice(pool.surnames)
        family_2 = rng.choice(pool.surnames) if country.double_surname else None
        parts = [*given, family_1] + ([family_2] if family_2 else [])
        display = " ".join(p.text for p in parts)
        folded = " ".join(p.folded for p in parts)
        language = country.language if rng.random() < 0.95 else ("en" if country.language == "es" else "es")
        birth = REFERENCE_DATE - dt.timedelta(days=rng.randint(18 * 365, 85 * 365))
        tax_id = spanish_dni(rng) if country.code == "ES" and rng.random() < 0.3 else ""
        status, owner, team, created = self._common(chunk)
        primaries: set[str] = set()
        city = rng.choice(country.cities)
        g = "".join(p.slug for p in given)
        f1 = family_1.slug
        f2 = family_2.slug if family_2 else ""
        yy = birth.year % 100
        job = self._job(chunk, country, female, language, birth)
        if rng.random() < 0.85:
            email = self._personal_email(country, g, f1, f2, yy)
            self._contact(chunk, primaries, "email", "personal", email, email)
        if job is not None and rng.random() < 0.7:
            email = f"{given[0].slug}.{f1}@{job.domain}"
            self._contact(chunk, primaries, "email", "work", email, email)
        if rng.random() < 0.8:
            self._phone(
                chunk, primaries, "mobile", "personal" if rng.random() < 0.8 else "work", country.code, city
            )
        if rng.random() < 0.15:
            self._phone(chunk, primaries, "landline", "home", country.code, city)
        if rng.random() < 0.35:
            self._address(chunk, primaries, country, city, "home")
        if rng.random() < 0.15:
            network = rng.choice(("linkedin", "linkedin", "linkedin", "instagram", "x"))
            if network == "linkedin":
                handle = f"{g}-{f1}-{rng.getrandbits(20):05x}"
            elif network == "instagram":
                handle = f"{g}.{f1}{yy:02d}"
            else:
                handle = f"{g}{f1[:6]}{rng.randint(1, 999)}"
            self._contact(
                chunk, primaries, "social", "personal", "@" + handle, f"{network}:{handle}", network
            )
        chunk.parties.append(
            (
                "person",
                status,
                " ".join(p.text for p in given),
                family_1.text,
                family_2.text if family_2 else "",
                "",
                "",
                display,
                tax_id,
                country.code,
                birth,
                language,
                self._note(language),
                owner,
                team,
                folded,
                created,
                created,
            )
        )

    def _personal_email(self, country: CountryProfile, g: str, f1: str, f2: str, yy: int) -> str:
        rng = self.rng
        pattern = rng.randrange(6)
        if pattern == 0:
            local = f"{g}.{f1}{rng.randint(1, 999)}"
        elif pattern == 1:
            local = f"{g}{f1}{yy:02d}"
        elif pattern == 2 and f2:
            local = f"{g[0]}{f1}{f2}"
        elif pattern == 3 and f2:
            local = f"{g}.{f1}.{f2}"
        elif pattern == 4:
            local = f"{f1}.{g}{rng.randint(1, 99)}"
        else:
            local = f"{g}_{f1}{yy:02d}"
        return f"{local}@{rng.choice(self.email_domains[country.code])}"

    def _title(self, female: bool, language: str) -> str:
        """A job title in the person's language (Spanish titles agree with the person's gender)."""
        if language == "es":
            return self.rng.choice(TITLES_ES)[1 if female else 0]
        return self.rng.choice(TITLES_EN)

    def _job(
        self, chunk: Chunk, country: CountryProfile, female: bool, language: str, birth: dt.date
    ) -> OrgRef | None:
        """Maybe employ the person at a recent organisation of their country; returns it."""
        rng = self.rng
        window = self.org_window[country.code]
        if not window or rng.random() >= 0.6:
            return None
        org = rng.choice(window)
        title = self._title(female, language)
        start = REFERENCE_DATE - dt.timedelta(days=rng.randint(30, 15 * 365))
        adult = birth + dt.timedelta(days=18 * 365)  # birth dates make everyone at least this old
        start = max(start, adult)
        pos = len(chunk.parties)
        chunk.relationships.append((pos, org, title, True, start, None))
        if rng.random() < 0.08:
            # A former job at another organisation, ended before the current one started.
            past = rng.choice(window)
            ended = start - dt.timedelta(days=rng.randint(30, 400))
            began = ended - dt.timedelta(days=rng.randint(180, 3000))
            if past is not org and began >= adult:
                chunk.relationships.append((pos, past, self._title(female, language), False, began, ended))
        return org

    # --- organisations ---------------------------------------------------------------------------------

    def organisation(self, chunk: Chunk) -> None:
        """Append one organisation with its website, mailbox, phones, addresses and tags."""
        rng = self.rng
        country = rng.choice(self.countries)
        pool = self.pools[country.code]
        city = rng.choice(country.cities)
        base = self._company_name(country, pool, city)
        form = rng.choice(self.legal_forms[country.code])
        legal_name = f"{base} {form.suffix}"
        trade_name = base if rng.random() < 0.6 else ""
        display = trade_name or legal_name
        words = [w for w in base.split() if slug(w) not in _STOPWORDS]
        domain = "-".join(s for s in (slug(w) for w in words) if s)[:40].strip("-") or "empresa"
        domain += rng.choice(country.company_tlds)
        founded = dt.date(rng.randint(1980, 2023), rng.randint(1, 12), rng.randint(1, 28))
        initials = "".join(slug(w)[:1] for w in words).upper()
        if len(initials) < 3 and words:
            initials = (initials[:1] + slug(words[0])[1:3].upper() + initials[1:])[:3]
        tax_id = company_tax_id(rng, country.code, form.cif_letter, initials, founded.strftime("%y%m%d"))
        language = country.language
        status, owner, team, created = self._common(chunk)
        primaries: set[str] = set()
        if rng.random() < 0.9:
            www = "www." if rng.random() < 0.8 else ""
            self._contact(chunk, primaries, "website", "work", f"https://{www}{domain}", domain)
        if rng.random() < 0.85:
            email = f"{rng.choice(ORG_MAILBOXES[language])}@{domain}"
            self._contact(chunk, primaries, "email", "work", email, email)
        if rng.random() < 0.85:
            self._phone(chunk, primaries, "landline", "work", country.code, city)
        if rng.random() < 0.08:
            self._phone(chunk, primaries, "fax", "work", country.code, city)
        if rng.random() < 0.12:
            self._phone(chunk, primaries, "mobile", "work", country.code, city)
        if rng.random() < 0.95:
            self._address(chunk, primaries, country, city, "billing")
        if rng.random() < 0.1:
            self._address(chunk, primaries, country, rng.choice(country.cities), "shipping")
        if rng.random() < 0.3:
            handle = domain.split(".", 1)[0]
            self._contact(chunk, primaries, "social", "work", "@" + handle, f"linkedin:{handle}", "linkedin")
        ref = OrgRef(pos=len(chunk.parties), domain=domain, country=country.code)
        chunk.orgs.append(ref)
        window = self.org_window[country.code]
        window.append(ref)
        if len(window) > 800:
            del window[:400]
        chunk.parties.append(
            (
                "organisation",
                status,
                "",
                "",
                "",
                legal_name,
                trade_name,
                display,
                tax_id,
                country.code,
                None,
                language,
                self._note(language),
                owner,
                team,
                fast_fold(display),
                created,
                created,
            )
        )

    def _company_name(self, country: CountryProfile, pool: LocalePool, city: City) -> str:
        rng = self.rng
        surname = rng.choice(pool.surnames).text
        pattern = rng.randrange(6)
        if country.language == "es":
            sector = rng.choice(SECTORS_ES)
            if pattern == 0:
                return f"{sector} {surname}"
            if pattern == 1:
                return f"{sector} {rng.choice(PLACES_ES)}"
            if pattern == 2:
                return f"Grupo {surname}"
            if pattern == 3:
                other = rng.choice(pool.surnames).text
                # Spanish "y" becomes "e" before an /i/ sound (Ibáñez, Hidalgo) but not before "hie".
                joiner = (
                    "e" if slug(other).startswith(("i", "hi")) and not slug(other).startswith("hie") else "y"
                )
                return f"{surname} {joiner} {other}"
            if pattern == 4:
                return f"{surname} e Hijos"
            return f"{sector} {city.name}"
        sector = rng.choice(SECTORS_EN)
        if pattern in (0, 4):
            return f"{surname} {sector}"
        if pattern == 1:
            return f"{rng.choice(PLACES_EN)} {sector}"
        if pattern == 2:
            return f"{surname} Group"
        if pattern == 3:
            return f"{surname} & {rng.choice(pool.surnames).text}"
        return f"{city.name} {sector}"
