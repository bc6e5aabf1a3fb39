"""The gettext catalogs are complete (Spanish and English), not stale, and actually used at runtime.

When a test here fails after you added or changed a user-facing string, refresh and translate the catalogs:
``make messages`` (makemessages + compile_catalogs), then fill every new or fuzzy entry in
``locale/es/LC_MESSAGES/django.po`` and ``locale/en/LC_MESSAGES/django.po`` and remove the fuzzy flags.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
SOURCE_DIRS = ("clientela", "config")
SKIP_DIRS = {".venv", "var", "bench", "migrations", "tests", "__pycache__", "node_modules", "static"}
TEMPLATE_SUFFIXES = {".html", ".txt"}

# The same keywords makemessages hands to xgettext; (1, "c") marks the context argument.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}

# (context, msgid, msgid_plural or None)
Entry = tuple[str | None, str, str | None]


def read_catalog(lang: str) -> Catalog:
    with (LOCALE / lang / "LC_MESSAGES" / "django.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def _label(message: Message) -> str:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return f"[{message.context}] {msgid!r}" if message.context else repr(msgid)


def incomplete(catalog: Catalog) -> list[str]:
    """Messages (not the header) that are fuzzy or have an empty translation or plural form."""
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {_label(message)}")
        elif len(strings) < (catalog.num_plurals if message.pluralizable else 1) or not all(strings):
            problems.append(f"untranslated: {_label(message)}")
    return problems


def extract_python(source: str) -> set[Entry]:
    found = set()
    for _lineno, message, _comments, context in extract(
        "python", io.BytesIO(source.encode()), keywords=KEYWORDS
    ):
        if isinstance(message, (list, tuple)):
            found.add((context, message[0], message[1]))
        else:
            found.add((context, message, None))
    return found


def extract_template(source: str) -> set[Entry]:
    """Django's own template-to-Python step (as makemessages does it), then the Python extractor.

    Leading whitespace is dropped because Python's tokenizer would read the template's indentation;
    templatize writes every message as a one-line literal, so nothing else changes."""
    python = "\n".join(line.lstrip() for line in templatize(source).splitlines())
    return extract_python(python)


def project_messages() -> set[Entry]:
    found: set[Entry] = set()
    for top in SOURCE_DIRS:
        for path in sorted((ROOT / top).rglob("*")):
            if not path.is_file() or SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
                continue
            if path.suffix == ".py":
                found |= extract_python(path.read_text(encoding="utf-8"))
            elif path.suffix in TEMPLATE_SUFFIXES and "templates" in path.parts:
                found |= extract_template(path.read_text(encoding="utf-8"))
    return found


def missing_from(catalog: Catalog, entries: set[Entry]) -> list[str]:
    missing = []
    for context, msgid, plural in sorted(entries, key=lambda e: (e[0] or "", e[1])):
        message = catalog.get(msgid, context=context)
        label = f"[{context}] {msgid!r}" if context else repr(msgid)
        if message is None:
            missing.append(label)
        elif plural is not None and (not message.pluralizable or message.id[1] != plural):
            missing.append(f"{label} (plural {plural!r})")
    return missing


@pytest.mark.parametrize("lang", ["es", "en"])
def test_catalog_is_complete(lang):
    catalog = read_catalog(lang)
    assert len(catalog) > 100, f"locale/{lang} looks empty"
    problems = incomplete(catalog)
    assert not problems, f"locale/{lang}/LC_MESSAGES/django.po is incomplete:\n" + "\n".join(problems)


def test_catalog_is_not_stale():
    messages = project_messages()
    assert (None, "Recycle bin", None) in messages  # the extraction sees templates
    assert ("lifecycle status", "Lead", None) in messages  # ... and pgettext_lazy in Python
    missing = missing_from(read_catalog("es"), messages)
    assert not missing, (
        "Strings in the source are missing from locale/es (run `make messages` and translate them):\n"
        + "\n".join(missing)
    )


def test_extraction_catches_new_strings():
    catalog = read_catalog("es")
    template = (
        "{% load i18n %}<h1>{% translate 'Brand new words' %}</h1>"
        '{% translate "Open" context "complaint status" %}'
        "{% blocktranslate count n=items|length %}{{ n }} brand new thing{% plural %}{{ n }} brand new things"
        "{% endblocktranslate %}"
    )
    assert extract_template(template) == {
        (None, "Brand new words", None),
        ("complaint status", "Open", None),
        (None, "%(n)s brand new thing", "%(n)s brand new things"),
    }
    assert missing_from(catalog, extract_template(template)) == [
        "'%(n)s brand new thing'",
        "'Brand new words'",
    ]
    changed_plural = "{% load i18n %}{% blocktranslate count n=1 %}{{ n }} purchase{% plural %}{{ n }} buys{% endblocktranslate %}"
    assert missing_from(catalog, extract_template(changed_plural)) == [
        "'%(n)s purchase' (plural '%(n)s buys')"
    ]
    python = 'label = pgettext_lazy("brand new context", "Customers")\nother = _("Customers")\n'
    assert missing_from(catalog, extract_python(python)) == ["[brand new context] 'Customers'"]


def test_incomplete_catalog_is_reported():
    catalog = Catalog(locale="es")
    catalog.add("Done", "Hecho")
    catalog.add("Empty", "")
    catalog.add("Guess", "Adivinanza", flags=["fuzzy"])
    catalog.add(("%(n)s day", "%(n)s days"), ("%(n)s día", ""))
    assert incomplete(catalog) == ["untranslated: 'Empty'", "fuzzy: 'Guess'", "untranslated: '%(n)s day'"]


@pytest.fixture
def compiled_catalogs(tmp_path, settings) -> Iterator[Path]:
    """Compile the current .po files (with the project's command) into a scratch directory and use those,
    so the runtime checks never depend on stale .mo files in the checkout."""
    for po in LOCALE.glob("*/LC_MESSAGES/*.po"):
        target = tmp_path / po.relative_to(LOCALE)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(po, target)
    settings.LOCALE_PATHS = [tmp_path]  # also resets Django's translation caches
    call_command("compile_catalogs", verbosity=0)
    assert list(tmp_path.glob("es/LC_MESSAGES/django.mo"))
    yield tmp_path


@pytest.mark.parametrize(
    ("english", "spanish"),
    [
        ("Customers", "Clientes"),
        ("Recycle bin", "Papelera"),
        ("Sign in", "Iniciar sesión"),
        ("Sign out", "Cerrar sesión"),
        ("History", "Historial"),
    ],
)
def test_spanish_at_runtime(compiled_catalogs, english, spanish):
    with translation.override("es"):
        assert translation.gettext(english) == spanish
    with translation.override("en"):
        assert translation.gettext(english) == english


def test_spanish_context_and_plurals_at_runtime(compiled_catalogs):
    singular = "Deleted customers can be restored for %(days)s day."
    plural = "Deleted customers can be restored for %(days)s days."
    with translation.override("es"):
        assert translation.pgettext("lifecycle status", "Lead") == "Cliente potencial"
        assert translation.ngettext(singular, plural, 1) % {"days": 1} == (
            "Los clientes eliminados se pueden restaurar durante 1 día."
        )
        assert translation.ngettext(singular, plural, 30) % {"days": 30} == (
            "Los clientes eliminados se pueden restaurar durante 30 días."
        )


@pytest.mark.django_db
def test_login_page_in_spanish(compiled_catalogs, client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="es"' in html
    assert "Iniciar sesión en Clientela" in html
    assert "Nombre de usuario" in html
    assert "Contraseña" in html
    assert "Sign in to Clientela" not in html
