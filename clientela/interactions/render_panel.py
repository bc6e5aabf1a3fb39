"""HTML of the activity panel (composer, upcoming, timeline filters, first timeline page), built in Python.

The panel is on every customer page. Through the template engine its loops (a tab and a pane per quick
form, a chip per kind), the open quick form and the page's links cost about 2 ms of a 9 ms page, a few
microseconds for each of some 200 template nodes. Built here, with its fixed texts translated once per
language, it costs a fraction of that. Every value goes through ``esc`` (or is a widget Django already
escaped); the strings are the same translatable messages the templates used.

``quick_form_html`` and ``timeline_page_html`` are also what the quick-log form and the next timeline
pages answer on their own (``interactions/_quick_form.html``, ``interactions/_timeline_page.html``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from django import forms
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from clientela.core.html import count_text, esc, local_date, money, per_language
from clientela.core.urls import fast_reverse
from clientela.interactions.render import entries_html


def csrf_input(token: Any) -> str:
    """What ``{% csrf_token %}`` draws for the context's token."""
    if not token or token == "NOTPROVIDED":  # noqa: S105 (the marker Django uses for "no token")
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{esc(token)}">'


class Texts:
    """The panel's fixed texts in one language, escaped."""

    def __init__(self) -> None:
        self.activity = esc(_("Activity"))
        self.log = esc(_("Log an interaction"))
        self.open_form = esc(_("Open the form"))
        self.upcoming = esc(_("Upcoming"))
        self.filter_timeline = esc(_("Filter the timeline"))
        self.kinds = esc(_("Kinds"))
        self.date_from = esc(_("From"))
        self.date_to = esc(_("To"))
        self.source = esc(_("Source"))
        self.filter = esc(_("Filter"))
        self.show_all = esc(_("Show all"))
        self.nothing = esc(_("Nothing recorded yet."))
        self.load_older = esc(_("Load older"))
        self.error = esc(_("Error:"))
        self.save = esc(_("Save"))
        self.key_figures = esc(_("Key figures"))
        self.lifetime_purchases = esc(_("Lifetime purchases"))
        self.returns = esc(_("Returns"))
        self.open_complaints = esc(_("Open complaints"))
        self.outstanding = esc(_("Outstanding balance"))
        self.last_contact = esc(_("Last contact"))
        self.next_activity = esc(_("Next activity"))
        self.other_currencies = esc(_("Also in other currencies:"))
        self.ago = _("%(ago)s ago")


_texts = per_language(Texts)


def figures_html(panel: Mapping[str, Any]) -> SafeString:
    """The key figures under the customer's header (``interactions.panels.figures_context``)."""
    t = _texts()
    f = panel["figures"]
    currency = f.currency
    purchases = count_text("%(n)s purchase", "%(n)s purchases", f.purchases_count)
    returns = count_text("%(n)s return", "%(n)s returns", f.returns_count)
    if f.last_contact_at:
        by = f.last_contact_by
        last = (
            f'<time datetime="{local_date(f.last_contact_at, "c")}" title="{local_date(f.last_contact_at, "DATETIME_FORMAT")}">'
            f"{t.ago % {'ago': esc(timesince(f.last_contact_at))}}</time>"
            + (f'<span class="muted small d-block">{esc(by)}</span>' if by else "")
        )
    else:
        last = "—"
    upcoming = panel["next_activity"]
    if upcoming:
        next_activity = (
            f'<time datetime="{local_date(upcoming.occurred_at, "c")}">'
            f"{local_date(upcoming.occurred_at, 'SHORT_DATETIME_FORMAT')}</time>"
            f'<span class="muted small d-block">{esc(upcoming.summary)}</span>'
        )
    else:
        next_activity = "—"
    others = ""
    if f.other_currencies:
        groups = "; ".join(
            ", ".join(f"{esc(money(amount, cur))} ({esc(name)})" for name, amount in figs.items())
            for cur, figs in f.other_currencies.items()
        )
        others = f'\n  <p class="muted small mb-0">{t.other_currencies} {groups}</p>'
    return mark_safe(
        f'<section class="card-cl figures" aria-labelledby="figures-h">\n'
        f'  <h2 id="figures-h" class="visually-hidden">{t.key_figures}</h2>\n  <dl class="figure-grid">\n'
        f'    <div><dt>{t.lifetime_purchases}</dt><dd class="num-fig">{esc(money(f.purchases_total, currency))}</dd>'
        f'<dd class="muted small">{purchases}</dd></div>\n'
        f'    <div><dt>{t.returns}</dt><dd class="num-fig">{esc(money(f.returns_total, currency))}</dd>'
        f'<dd class="muted small">{returns}</dd></div>\n'
        f'    <div><dt>{t.open_complaints}</dt><dd class="num-fig">{esc(localize(f.open_complaints))}</dd></div>\n'
        f'    <div><dt>{t.outstanding}</dt><dd class="num-fig">{esc(money(f.outstanding_balance, currency))}</dd></div>\n'
        f"    <div><dt>{t.last_contact}</dt><dd>{last}</dd></div>\n"
        f"    <div><dt>{t.next_activity}</dt><dd>{next_activity}</dd></div>\n  </dl>{others}\n</section>\n"
    )


def quick_form_html(form: Any, party_id: int, kind: str, csrf_token: Any) -> str:
    """One quick-log form (``QuickLogForm``), with its errors next to the fields."""
    t = _texts()
    out = [
        f'<form class="quick-log" method="post" action="{esc(fast_reverse("interactions:quick_log", party_id, kind))}" novalidate>\n'
        f"  {csrf_input(csrf_token)}\n  "
    ]
    errors = form.non_field_errors()
    if errors:
        out.append('<ul class="errorlist">' + "".join(f"<li>{esc(e)}</li>" for e in errors) + "</ul>")
    out.append('\n  <div class="row g-2">\n    ')
    for field, wide in form.layout():
        out.append(
            f'\n    <div class="{"col-12" if wide else "col-6 col-md-4"}">\n'
            f'      <label class="form-label small" for="{esc(field.id_for_label)}">{esc(field.label)}</label>\n      '
        )
        if field.errors:
            out.append(
                f'<ul class="errorlist" id="err-{esc(field.html_name)}">'
                + "".join(
                    f'<li><span class="visually-hidden">{t.error}</span> {esc(e)}</li>' for e in field.errors
                )
                + "</ul>"
            )
        out.append(f"\n      {field}\n    </div>\n    ")
    out.append(
        f'\n  </div>\n  <button class="btn btn-primary btn-sm mt-2" type="submit">{t.save}</button>\n</form>\n'
    )
    return "".join(out)


def timeline_page_html(timeline: Any, party_id: int, timeline_query: str) -> str:
    """A page of the timeline, and the link that loads the next one when scrolled into view."""
    t = _texts()
    out = [entries_html(timeline.items, party_id), "\n"]
    if not timeline.items and not timeline.next_cursor:
        out.append(f'<li class="muted">{t.nothing}</li>')
    out.append("\n")
    if timeline.next_cursor:
        query = f"{esc(timeline_query)}&amp;" if timeline_query else ""
        url = (
            f"{esc(fast_reverse('interactions:timeline', party_id))}?{query}"
            f"cursor={esc(quote(timeline.next_cursor, safe='/'))}"
        )
        out.append(
            f'\n<li class="timeline-more" hx-get="{url}" hx-trigger="revealed" hx-swap="outerHTML">\n'
            f'  <a class="btn btn-sm btn-outline-secondary" href="{url}"\n'
            f'     hx-get="{url}" hx-target="closest li" hx-swap="outerHTML">{t.load_older}</a>\n</li>\n'
        )
    return "".join(out)


def _composer(panel: Mapping[str, Any], party_id: int, csrf_token: Any, t: Texts) -> str:
    active = panel["active_form"]
    quick_forms: Iterable[tuple[str, Any, forms.Form | None]] = panel["quick_forms"]
    tabs = []
    panes = []
    for kind, label, form in quick_forms:
        k = esc(kind)
        is_active = kind == active
        lazy = (
            ""
            if form
            else f' hx-get="{esc(fast_reverse("interactions:quick_log", party_id, kind))}"'
            f' hx-trigger="click once" hx-target="#log-{k}"'
        )
        tabs.append(
            f'\n      <button class="nav-link{" active" if is_active else ""}" id="tab-{k}" type="button" '
            f'role="tab" data-bs-toggle="pill" data-bs-target="#log-{k}" aria-controls="log-{k}" '
            f'aria-selected="{"true" if is_active else "false"}"{lazy}>{esc(label)}</button>\n      '
        )
        body = (
            quick_form_html(form, party_id, kind, csrf_token)
            if form
            else f'<p class="muted small mb-0"><a href="?log={k}#timeline">{t.open_form}</a></p>'
        )
        panes.append(
            f'\n      <div class="tab-pane fade{" show active" if is_active else ""}" id="log-{k}" '
            f'role="tabpanel" aria-labelledby="tab-{k}">\n        {body}\n      </div>\n      '
        )
    return (
        f'\n  <div class="composer">\n    <div class="nav nav-pills composer-tabs" role="tablist" '
        f'aria-label="{t.log}">\n      {"".join(tabs)}\n    </div>\n'
        f'    <div class="tab-content">\n      {"".join(panes)}\n    </div>\n  </div>\n  '
    )


def _filters(panel: Mapping[str, Any], t: Texts) -> str:
    selected = panel["selected_kinds"]
    chips = "".join(
        f'\n      <label class="chip chip-toggle"><input type="checkbox" name="kind" value="{esc(value)}"'
        f"{' checked' if value in selected else ''}> {esc(label)}</label>\n      "
        for value, label in panel["chips"]
        if value
    )
    typed = panel["typed"]
    show_all = (
        f'<a class="btn btn-sm btn-link" href="?#timeline">{t.show_all}</a>'
        if panel["timeline_query"]
        else ""
    )
    return (
        f'\n  <form class="timeline-filters" method="get" action="#timeline" aria-label="{t.filter_timeline}">\n'
        f'    <div class="chips" role="group" aria-label="{t.kinds}">\n      {chips}\n    </div>\n'
        f'    <div class="d-flex flex-wrap gap-2 align-items-end mt-2">\n'
        f'      <div><label class="form-label small" for="tl-from">{t.date_from}</label><input id="tl-from" '
        f'class="form-control form-control-sm" type="date" name="from" value="{esc(typed["from"])}"></div>\n'
        f'      <div><label class="form-label small" for="tl-to">{t.date_to}</label><input id="tl-to" '
        f'class="form-control form-control-sm" type="date" name="to" value="{esc(typed["to"])}"></div>\n'
        f'      <div><label class="form-label small" for="tl-source">{t.source}</label><input id="tl-source" '
        f'class="form-control form-control-sm" name="source" value="{esc(typed["source"])}" '
        f'placeholder="erp, support…"></div>\n'
        f'      <button class="btn btn-sm btn-outline-primary" type="submit">{t.filter}</button>\n'
        f"      {show_all}\n    </div>\n  </form>\n"
    )


def activity_html(panel: Mapping[str, Any], csrf_token: Any) -> SafeString:
    """The activity panel (``interactions.panels.activity_context`` gives ``panel``)."""
    t = _texts()
    party_id = panel["party"].pk
    out = [
        f'<section class="card-cl" id="timeline" aria-labelledby="activity-h">\n'
        f'  <h2 id="activity-h" class="h5">{t.activity}</h2>\n  '
    ]
    if panel["can_log"]:
        out.append(_composer(panel, party_id, csrf_token, t))
    out.append("\n  ")
    if panel["upcoming"]:
        out.append(
            f'\n  <h3 class="h6 mt-3">{t.upcoming}</h3>\n'
            f'  <ul class="timeline">{entries_html(panel["upcoming"], party_id, day_headings=False)}</ul>\n  '
        )
    out.append(_filters(panel, t))
    out.append(
        f'  <ol class="timeline" id="timeline-list" aria-live="polite">'
        f"{timeline_page_html(panel['timeline'], party_id, panel['timeline_query'])}</ol>\n</section>\n"
    )
    return mark_safe("".join(out))
