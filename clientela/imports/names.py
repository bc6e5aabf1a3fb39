"""Name handling for imports: legal forms of companies, splitting people's names, fixing ALL-CAPS names.

ERP and accounting exports often carry one "name" column for everybody, in capitals, with the legal
form glued on ("TALLERES PEREZ, S.L."). These helpers are heuristics tuned for Spanish and Latin
American data first and English second; they never touch names that already have mixed case.
"""

from __future__ import annotations

import re

from clientela.core.text import fold

# Common spellings; matching ignores case, dots and spaces, and tidy_case() restores these spellings.
LEGAL_FORMS: tuple[str, ...] = (
    # Spain
    "S.L.", "SL", "S.L.U.", "SLU", "S.L.L.", "SLL", "S.L.N.E.", "SLNE", "S.L.P.", "SLP",
    "S.A.", "SA", "S.A.U.", "SAU", "S.A.L.", "S.A.D.",
    "S.Coop.", "S. Coop.", "S.Coop.And.", "Sdad. Coop.", "Sociedad Cooperativa",
    "Sociedad Limitada", "Sociedad Anónima", "Sociedad Limitada Unipersonal", "Sociedad Anónima Unipersonal",
    "Sociedad Limitada Laboral", "Sociedad Anónima Laboral", "Sociedad Civil", "Sociedad Colectiva",
    "S.C.", "S.C.P.", "S.Com.", "C.B.", "CB", "A.I.E.", "AIE", "U.T.E.", "UTE",
    # Latin America
    "S.A. de C.V.", "SA de CV", "S.A.B. de C.V.", "S.A.P.I. de C.V.", "S. de R.L.", "S. de R.L. de C.V.",
    "S. de R.L. de C.V.", "S.C. de R.L.", "S.R.L.", "SRL", "S.R.L. de C.V.", "Ltda.", "Ltda", "Cía. Ltda.",
    "S.A.C.", "S.A.A.", "E.I.R.L.", "EIRL", "S.A.S.", "SAS", "S.A.E.C.A.", "S.en C.", "S. en C.",
    # English-speaking countries
    "Inc.", "Inc", "Incorporated", "Corp.", "Corp", "Corporation", "LLC", "L.L.C.", "LLP", "L.L.P.",
    "Ltd.", "Ltd", "Limited", "PLC", "plc", "Pty Ltd", "Pty. Ltd.",
    # Other European forms seen in supplier and customer files
    "GmbH", "GmbH & Co. KG", "AG", "KG", "B.V.", "BV", "N.V.", "NV", "S.A.R.L.", "SARL", "S.à r.l.",
    "S.r.l.", "S.p.A.", "A/S", "ApS", "Lda.",
)  # fmt: skip

# Forms that are also ordinary words ("Pimienta y Sal", "Balneario Spa") count only when written with dots.
_DOTTED_ONLY = frozenset({"sal", "sad", "sac", "spa", "sc"})


def _form_key(text: str) -> str:
    return re.sub(r"[\s.]+", "", fold(text))


_FORM_KEYS = frozenset(_form_key(form) for form in LEGAL_FORMS)

_SEPARATOR = re.compile(r"[\s,]+")


def _legal_form_start(name: str) -> int | None:
    """Index in ``name`` where a trailing legal form starts (the longest one), or None."""
    # Only suffixes that start after a space or comma count, so "Consul" does not end in "SL".
    for match in _SEPARATOR.finditer(name):
        suffix = name[match.end() :]
        key = _form_key(suffix)
        if (
            key in _FORM_KEYS
            and (key not in _DOTTED_ONLY or "." in suffix)
            and re.search(r"\w", name[: match.start()])
        ):
            return match.end()
    return None


def split_legal_form(name: str) -> tuple[str, str]:
    """(name without its trailing legal form, the legal form as written), or (name, "") without one.

    "Talleres Pérez, S.L." -> ("Talleres Pérez", "S.L."); a name that is only a legal form is kept whole.
    """
    text = (name or "").strip()
    start = _legal_form_start(text)
    if start is None:
        return text, ""
    return text[:start].rstrip(" ,\t"), text[start:]


def has_legal_form(name: str) -> bool:
    """Whether ``name`` ends in a company legal form (S.L., SA de CV, Inc., GmbH...)."""
    return bool(split_legal_form(name)[1])


# Folded honorifics; the ambiguous ones ("da", "don"...) are handled in _is_honorific.
_HONORIFICS = frozenset(
    {"sr", "sra", "srta", "d", "dna", "da", "don", "dona", "dr", "dra", "mr", "mrs", "ms", "miss", "mx"}
)

# Compound given names kept together ("Miguel Ángel Ruiz" is Miguel Ángel + Ruiz, not Miguel + Ángel Ruiz).
COMPOUND_GIVEN_NAMES: tuple[str, ...] = (
    "José Luis", "José María", "José Antonio", "José Manuel", "José Ignacio", "José Ramón", "José Miguel",
    "José Carlos", "José Javier", "José Francisco", "José Ángel", "Juan Carlos", "Juan José", "Juan Antonio",
    "Juan Manuel", "Juan Luis", "Juan Pablo", "Juan Francisco", "Juan Ignacio", "Juan Ramón", "Juan Pedro",
    "Juan de Dios", "Francisco Javier", "Francisco José", "Luis Miguel", "Luis Alberto", "Miguel Ángel",
    "Pedro José", "Carlos Alberto", "Jorge Luis", "Jesús María", "Mari Carmen", "Mari Luz", "Mari Ángeles",
    "María José", "María del Carmen", "María de los Ángeles", "María Teresa", "María Isabel",
    "María Dolores", "María Pilar", "María del Pilar", "María Jesús", "María Luisa", "María Ángeles",
    "María Elena", "María Victoria", "María Rosa", "María Antonia", "María Cristina", "María Mercedes",
    "María de las Mercedes", "María del Mar", "María del Rocío", "María de la Paz", "María Fernanda",
    "María Belén", "María Eugenia", "María Paz", "María Soledad", "Ana María", "Ana Isabel", "Ana Belén",
    "Rosa María", "Luz María",
)  # fmt: skip

# Folded token tuples, longest first so "María del Carmen" wins over a shorter prefix.
_COMPOUNDS = sorted((tuple(fold(name).split()) for name in COMPOUND_GIVEN_NAMES), key=len, reverse=True)


def _is_honorific(token: str, following: int) -> bool:
    key = fold(token).rstrip(".")
    if key in {"d", "da"}:  # "Dª"/"D." are honorifics, "Da" may start a surname ("Da Silva")
        return token.endswith(".") or "ª" in token
    if key in {"don", "dona"}:  # "Don Johnson" is a name; Spanish Don/Doña precede given name *and* surname
        return following >= 2
    return key in _HONORIFICS


def _strip_honorifics(tokens: list[str]) -> list[str]:
    while len(tokens) > 1 and _is_honorific(tokens[0], len(tokens) - 1):
        tokens = tokens[1:]
    return tokens


def split_full_name(text: str) -> tuple[str, str]:
    """(given names, family names) of a person's full name.

    "García López, José Luis" (exactly one comma) is read as family names, given names. Otherwise the
    order is given + family: the first token, or a known compound given name ("Miguel Ángel", "María del
    Carmen"), is the given name and the rest, particles included ("de la Fuente Díaz"), the family
    names. Three plain tokens are read as one given name and two surnames ("Mary Ann Smith" -> "Mary",
    "Ann Smith"): Spanish double surnames are far more common in our data than English middle names.
    A single token, or a compound given name alone, is a given name. Honorifics (Sr., Dña., Mr...) go.
    """
    clean = " ".join((text or "").split())
    if clean.count(",") == 1:
        family, given = (part.strip() for part in clean.split(","))
        if family and given:
            return " ".join(_strip_honorifics(given.split())), " ".join(_strip_honorifics(family.split()))
        clean = (family or given).strip()
    tokens = _strip_honorifics(clean.replace(",", " ").split())
    if not tokens:
        return "", ""
    folded = [fold(token) for token in tokens]
    size = 1
    for compound in _COMPOUNDS:
        if tuple(folded[: len(compound)]) == compound:
            size = len(compound)
            break
    return " ".join(tokens[:size]), " ".join(tokens[size:])


# Particles written in lower case inside a name (never as its first word).
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "e", "i", "da", "van", "von"})
_ORGANISATION_PARTICLES = frozenset({"of", "and", "the", "for"})
# Short words in company names that are words, not acronyms, so they are capitalised after all.
_SHORT_WORDS = frozenset(
    {"casa", "bar", "sur", "mar", "sol", "luz", "oro", "san", "gran", "club", "auto", "cafe", "pan", "vino",
     "arte", "moda", "foto", "agua", "vida", "hijo", "hijos", "hnos", "bank", "shop", "home", "food", "real"}
)  # fmt: skip
_WORD = re.compile(r"\S+")


def _capitalise_segment(segment: str) -> str:
    """A capital after an apostrophe only follows a one-letter prefix: O'Brien, but Mcdonald's."""
    for apostrophe in ("'", "’"):
        head, sep, tail = segment.partition(apostrophe)
        if sep and tail:
            if len(head) == 1:
                return head.upper() + sep + tail.capitalize()
            return head.capitalize() + sep + tail.lower()
    return segment.capitalize()


def _tidy_word(word: str, first: bool, organisation: bool, upper_input: bool) -> str:
    folded = fold(word)
    if not first and (folded in _PARTICLES or (organisation and folded in _ORGANISATION_PARTICLES)):
        return word.lower()
    letters = sum(ch.isalpha() for ch in word)
    if organisation and upper_input and letters <= 4 and folded not in _SHORT_WORDS:
        return word  # most likely an acronym: BBVA, ACME, IBM
    return "-".join(_capitalise_segment(segment) for segment in word.split("-"))


def tidy_case(text: str, *, organisation: bool = False) -> str:
    """Title case for names exported ALL CAPS or all lower case; mixed-case input comes back unchanged.

    Particles (de, del, la, y...) stay lower case except as the first word; hyphens and apostrophes
    start new capitals ("GARCÍA-PELAYO" -> "García-Pelayo", "O'BRIEN" -> "O'Brien"). With
    ``organisation=True`` a trailing legal form gets its usual spelling ("SL", "S.L.", "GmbH") and, in
    ALL-CAPS input, words of up to four letters are kept as they are, since they are mostly acronyms
    (BBVA, ACME, IBM); a few common short words (Casa, Bar, Sol...) are capitalised anyway.
    """
    letters = [ch for ch in text or "" if ch.isalpha()]
    has_upper = any(ch.isupper() for ch in letters)
    has_lower = any(ch.islower() for ch in letters)
    if not letters or (has_upper and has_lower):
        return text
    body, form = text, ""
    if organisation and (start := _legal_form_start(text.rstrip())) is not None:
        body, written = text[:start], text.rstrip()[start:]
        form = next((f for f in LEGAL_FORMS if f.casefold() == written.casefold()), written)
    position = 0

    def tidy(match: re.Match[str]) -> str:
        nonlocal position
        position += 1
        return _tidy_word(match.group(), position == 1, organisation, has_upper)

    return _WORD.sub(tidy, body) + form
