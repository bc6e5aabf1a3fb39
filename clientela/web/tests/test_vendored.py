"""Third-party front-end files are exactly the ones VENDORED.md lists, unchanged, and all of them are used."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from django.conf import settings

from clientela.web.templatetags.clientela import icon

ROOT = Path(settings.BASE_DIR)
WEB = ROOT / "clientela" / "web"
VENDOR = WEB / "static" / "vendor"
ICONS = WEB / "templates" / "web" / "icons"
CHECKSUM = re.compile(r"^([0-9a-f]{64})  (\S+)$", re.MULTILINE)
ICON_USE = re.compile(r"""\{%\s*icon\s+["']([a-z0-9-]+)["']""")


def listed_checksums() -> dict[str, str]:
    return {path: digest for digest, path in CHECKSUM.findall((ROOT / "VENDORED.md").read_text("utf-8"))}


def vendored_files() -> set[str]:
    files = {p for p in VENDOR.rglob("*") if p.is_file()} | {p for p in ICONS.iterdir() if p.is_file()}
    return {p.relative_to(ROOT).as_posix() for p in files}


def test_every_vendored_file_is_listed_with_its_checksum():
    listed = listed_checksums()
    assert set(listed) == vendored_files(), "VENDORED.md and the vendored directories disagree"
    for path, digest in listed.items():
        assert hashlib.sha256((ROOT / path).read_bytes()).hexdigest() == digest, f"{path} was modified"


def test_each_vendored_package_keeps_its_licence():
    for directory in (*[d for d in VENDOR.iterdir() if d.is_dir()], ICONS):
        assert (directory / "LICENSE").is_file(), f"{directory} has no LICENSE"


def test_only_icons_that_templates_use_are_vendored():
    from clientela.interactions.render import DEFAULT_ICON
    from clientela.interactions.render import ICONS as TIMELINE_ICONS
    from clientela.web.nav import NAV

    # icons of timeline entries and of the sidebar, rendered in Python
    used = {*TIMELINE_ICONS.values(), DEFAULT_ICON, *(item.icon for item in NAV)}
    for template in ROOT.glob("clientela/*/templates/**/*.html"):
        used |= set(ICON_USE.findall(template.read_text("utf-8")))
    available = {p.stem for p in ICONS.glob("*.svg")}
    assert used - available == set(), "templates use icons that are not vendored"
    assert available - used == set(), "vendored icons that no template uses"


def test_icon_tag_inlines_svg_hidden_from_screen_readers():
    html = str(icon("phone", 20))
    assert html.startswith("<svg") and 'aria-hidden="true"' in html
    assert 'width="20"' in html and 'height="20"' in html
