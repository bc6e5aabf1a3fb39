"""Guess which canonical field each column header of an export means (Spanish and English headers).

Headers are compared as *keys*: folded (accents and case dropped) with every non-alphanumeric character
removed, so "Nº cliente", "N.º Cliente" and "no_cliente" are the same key. Exact key matches against
the synonym lists come first; a conservative fuzzy match (rapidfuzz, score >= 90 on the whole header)
only catches typos and small variants such as "Telefonno", "Correo-e" or "Comentario".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from clientela.core.text import fold
from clientela.imports.fields import fields_for

FUZZY_CUTOFF = 90.0

_NON_ALNUM = re.compile(r"[^0-9a-z]+")

# Synonyms as they appear in real exports, separated by "|". Each is reduced to its key, so accents, case,
# dots and spacing variants need not be listed. A key belongs to one field per entity only (_index checks).
PARTY_SYNONYMS: dict[str, str] = {
    "external_id": (
        "Código cliente|Cód. cliente|Cod cliente|Nº cliente|Número de cliente|Número cliente|"
        "Id cliente|Código|Customer ID|Customer number|Customer code|Account number|Account ID|"
        "Client ID|ID|Id externo|External ID"
    ),
    "kind": "Tipo|Tipo de cliente|Tipo cliente|Tipo de persona|Type|Customer type|Kind",
    "full_name": (
        "Nombre completo|Nombre y apellidos|Cliente|Nombre cliente|Nombre del cliente|Full name|"
        "Name|Customer|Customer name|Contact name|Client name"
    ),
    "given_name": "Nombre|Nombres|First name|Given name|Given names|Forename",
    "family_name": "Apellidos|Apellido|Last name|Surname|Family name|Family names|Primer apellido",
    "organisation_name": (
        "Razón social|Nombre fiscal|Nombre comercial|Empresa|Compañía|Sociedad|Entidad|"
        "Organización|Company|Company name|Organisation|Organization|Organisation name|"
        "Organization name|Account name|Business name|Legal name|Trade name"
    ),
    "tax_id": (
        "NIF/CIF|CIF/NIF|NIF|CIF|DNI|NIE|DNI/NIF|NIF-IVA|VAT|VAT number|VAT ID|Tax ID|Tax number|"
        "RFC|RUT|RUC|CUIT|Identificación fiscal"
    ),
    "email": "Correo electrónico|Correo|Email|E-mail|Mail|Dirección de correo|Email address",
    "email_2": "Email 2|E-mail 2|Correo 2|Otro email|Otro correo|Email secundario",
    "phone": ("Teléfono|Tel.|Tfno|Tlf|Telf|Teléfono fijo|Teléfono 1|Phone|Telephone|Phone number|Landline"),
    "mobile": "Móvil|Celular|Mobile|Cell|Teléfono móvil|Tfno. móvil|Tel. móvil|Mobile phone|Cell phone",
    "fax": "Fax|Número de fax|Fax number",
    "website": "Web|Página web|Sitio web|Website|Web site|URL|Homepage",
    "social_network": "Red social|Social network|Network",
    "social_handle": (
        "Usuario|Usuario red social|Perfil|Handle|Social handle|Username|User|Twitter|Instagram|"
        "LinkedIn|Profile"
    ),
    "street": "Dirección|Domicilio|Calle|Dirección postal|Address|Street|Street address",
    "postal_code": "C.P.|Código postal|Cod. postal|Postal code|Zip|Zip code|Postcode",
    "city": "Población|Localidad|Ciudad|Municipio|City|Town",
    "region": "Provincia|Región|Comunidad|Comunidad autónoma|State|Region|County",
    "country": "País|Country|Código país|Country code",
    "birth_date": (
        "Fecha de nacimiento|Fecha nacimiento|F. nacimiento|Birth date|Birthdate|Date of birth|DOB"
    ),
    "language": "Idioma|Lengua|Language",
    "owner": (
        "Comercial|Responsable|Gestor|Vendedor|Agente comercial|Owner|Account owner|"
        "Account manager|Sales rep|Salesperson"
    ),
    "tags": "Etiquetas|Etiqueta|Categoría|Categorías|Segmento|Tags|Tag|Category|Segment",
    "notes": "Observaciones|Notas|Comentarios|Nota|Notes|Comments|Remarks",
}

INTERACTION_SYNONYMS: dict[str, str] = {
    "external_id": (
        "Id|Ticket|Nº ticket|Nº incidencia|Número de incidencia|Incidencia|Nº registro|Record ID|"
        "Ticket ID|Case ID|Case number|Id externo|External ID"
    ),
    "kind": "Tipo|Tipo de interacción|Tipo de registro|Type|Kind|Record type",
    "occurred_at": (
        "Fecha|Fecha factura|Fecha pedido|Fecha y hora|Fecha de factura|Fecha del pedido|"
        "Fecha de emisión|Fecha alta|Fecha creación|Date|Created at|Created|Timestamp|Date time|"
        "Datetime|Invoice date|Order date"
    ),
    "party_external_id": (
        "Código cliente|Cód. cliente|Cod cliente|Nº cliente|Id cliente|Cliente|Customer ID|"
        "Customer number|Customer code|Account|Account number|Account ID|Client ID"
    ),
    "party_email": (
        "Email cliente|Correo cliente|Email del cliente|Customer email|Correo|Correo electrónico|"
        "Email|E-mail|Mail"
    ),
    "party_phone": (
        "Teléfono cliente|Tel. cliente|Teléfono|Tel.|Tfno|Móvil|Customer phone|Phone|Phone number|Telephone"
    ),
    "party_tax_id": (
        "NIF cliente|CIF cliente|NIF|CIF|NIF/CIF|CIF/NIF|DNI|NIE|Tax ID|Customer tax ID|VAT number|RFC"
    ),
    "direction": "Dirección|Direction|Sentido|Entrante/Saliente|In/Out",
    "channel": "Canal|Medio|Vía|Channel|Medium",
    "subject": "Asunto|Título|Subject|Title|Concepto",
    "text": "Descripción|Texto|Mensaje|Detalle|Detalles|Cuerpo|Description|Text|Body|Message|Details",
    "amount": (
        "Importe|Total|Importe total|Total factura|Amount|Total amount|Saldo|Balance|Importe pendiente"
    ),
    "currency": "Moneda|Divisa|Currency",
    "document_number": (
        "Nº factura|Número de factura|Número factura|Factura|Nº pedido|Número de pedido|Pedido|"
        "Nº documento|Invoice number|Invoice|Order number|Order|Document|Documento|"
        "Document number"
    ),
    "reference": "Referencia|Ref.|Factura relacionada|Pedido relacionado|Reference",
    "product": "Producto|Artículo|Ref. artículo|Product|Item|SKU",
    "quantity": "Cantidad|Uds.|Unidades|Quantity|Qty|Units",
    "status": "Estado|Situación|Status|State",
    "user": (
        "Usuario|Agente|Atendido por|Empleado|Comercial|Vendedor|Gestor|User|Agent|Handled by|Sales rep|Owner"
    ),
    "objective": "Objetivo|Objective|Purpose",
    "conclusion": "Conclusión|Conclusiones|Resultado de la reunión|Conclusion",
    "duration_seconds": (
        "Duración (s)|Duración|Duración (seg)|Segundos|Duration|Duration seconds|Duration (s)|Seconds"
    ),
    "outcome": "Resultado|Resultado de la llamada|Outcome|Result|Call result",
}

LEAD_SYNONYMS: dict[str, str] = {
    "full_name": (
        "Nombre completo|Nombre y apellidos|Contacto|Nombre del contacto|Nombre de contacto|Full name|"
        "Name|Contact|Contact name|Lead name"
    ),
    "given_names": "Nombre|Nombres|First name|Given name|Given names|Forename",
    "family_names": "Apellidos|Apellido|Last name|Surname|Family name|Family names",
    "email": "Correo electrónico|Correo|Email|E-mail|Mail|Dirección de correo|Email address",
    "phone": (
        "Teléfono|Tel.|Tfno|Tlf|Telf|Móvil|Celular|Teléfono móvil|Phone|Telephone|Phone number|Mobile|Cell"
    ),
    "company": (
        "Empresa|Compañía|Organización|Razón social|Nombre de la empresa|Company|Company name|"
        "Organisation|Organization|Account|Account name"
    ),
    "job_title": "Cargo|Puesto|Puesto de trabajo|Función|Job title|Title|Position|Role",
    "country": "País|Country|Código país|Country code",
    "interest": (
        "Interés|Interesado en|Producto de interés|Producto|Servicio|Interest|Interested in|Product"
    ),
    "notes": "Observaciones|Notas|Comentarios|Nota|Mensaje|Notes|Comments|Remarks|Message",
    "utm_source": "Fuente|Origen|Source|UTM source|Lead source",
    "utm_medium": "Medio|Canal|Medium|UTM medium|Channel",
    "utm_campaign": "Campaña|Nombre de campaña|Campaign|Campaign name|UTM campaign",
    "utm_term": "Término|Palabra clave|Keyword|Term|UTM term",
    "utm_content": "Contenido|Anuncio|Content|Ad|UTM content",
    "owner": (
        "Comercial|Responsable|Propietario|Vendedor|Asignado a|Owner|Lead owner|Sales rep|Salesperson|"
        "Assigned to"
    ),
}

SYNONYMS: dict[str, dict[str, str]] = {
    "parties": PARTY_SYNONYMS,
    "interactions": INTERACTION_SYNONYMS,
    "leads": LEAD_SYNONYMS,
}


def synonyms_for(entity: str) -> dict[str, tuple[str, ...]]:
    """field -> the header spellings recognised for it (for docs and the mapping screen)."""
    fields_for(entity)  # rejects unknown entities
    return {field: tuple(texts.split("|")) for field, texts in SYNONYMS[entity].items()}


# When a second header wants an already taken field, these are tried next (in order).
_OVERFLOW: dict[str, dict[str, tuple[str, ...]]] = {
    "parties": {
        "email": ("email_2",),
        "email_2": ("email",),
        "phone": ("mobile",),
        "mobile": ("phone",),
    },
    "interactions": {},
    "leads": {},
}


def header_key(text: str) -> str:
    """The comparison key of a header: folded, with everything but letters and digits removed."""
    return _NON_ALNUM.sub("", fold(text))


def _spaced(text: str) -> str:
    return _NON_ALNUM.sub(" ", fold(text)).strip()


@lru_cache(maxsize=4)
def _index(entity: str) -> dict[str, str]:
    """key -> field for an entity: canonical names, then synonyms. Two fields sharing a key is a bug."""
    index: dict[str, str] = {}
    pairs = [(field, field) for field in fields_for(entity)]
    pairs += [(synonym, field) for field, texts in synonyms_for(entity).items() for synonym in texts]
    for text, field in pairs:
        key = header_key(text)
        if index.setdefault(key, field) != field:
            raise RuntimeError(f"{entity}: header {text!r} is a synonym of both {index[key]} and {field}")
    return index


@lru_cache(maxsize=4)
def _fuzzy_choices(entity: str) -> list[tuple[str, str, str]]:
    """(compact key, spaced form, field) of every synonym and canonical name."""
    synonyms = [(field, field) for field in fields_for(entity)]
    synonyms += [(synonym, field) for field, texts in synonyms_for(entity).items() for synonym in texts]
    return [(header_key(text), _spaced(text), field) for text, field in synonyms]


def _fuzzy_field(header: str, entity: str) -> str | None:
    """Best field scoring >= FUZZY_CUTOFF; whole-string scorers only, so "Nombre de contacto" is not "Nombre"."""
    key, spaced = header_key(header), _spaced(header)
    if len(key) < 4:  # on very short keys one letter is a different word (NIF/NIE, CP/CIF)
        return None
    best: tuple[float, str] | None = None
    for choice_key, choice_spaced, field in _fuzzy_choices(entity):
        score = max(
            fuzz.ratio(key, choice_key, score_cutoff=FUZZY_CUTOFF),
            fuzz.token_sort_ratio(spaced, choice_spaced, score_cutoff=FUZZY_CUTOFF),
        )
        if score and (best is None or score > best[0]):
            best = (score, field)
    return best[1] if best else None


def suggest_mapping(headers: Sequence[str], entity: str) -> dict[str, str | None]:
    """For each header (in file order), the canonical field of ``entity`` it most likely means, or None.

    Each field is given at most once: the first header (in file order) that wants it gets it, except that
    for parties a second email-like header goes to ``email_2`` and a second phone-like one to ``mobile``
    (or ``phone``) when free. Exact synonym matches are assigned before fuzzy ones, so a fuzzy guess never
    takes a field from a header that names it exactly; such fallbacks come after all direct claims.
    """
    result: dict[str, str | None] = dict.fromkeys(headers)
    taken: set[str] = set()
    exact = {header: _index(entity).get(header_key(header)) for header in result}
    fuzzy = {header: _fuzzy_field(header, entity) for header, field in exact.items() if field is None}
    overflow = _OVERFLOW[entity]
    # Precedence: exact before fuzzy and, within each, a header naming a free field directly before
    # one that only falls back to a sibling field (so a later "email_2" column beats a second "Correo").
    for wanted in (exact, fuzzy):
        for use_overflow in (False, True):
            for header, field in wanted.items():
                if field is None or result[header] is not None:
                    continue
                candidates = (field, *overflow.get(field, ())) if use_overflow else (field,)
                free = next((c for c in candidates if c not in taken), None)
                if free:
                    taken.add(free)
                    result[header] = free
    return result
