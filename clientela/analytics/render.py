"""HTML of the customer page's value panel, built in Python.

The panel is on every customer page of a user who may see analytics: some sixty template nodes (eight
figures, each with its test, money or number formatting and translation), about 0.3 ms a page through
the template engine. Built here, with its fixed texts translated once per language, it is the same HTML
for a fraction of that. Every value is escaped; the strings are the same translatable messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.choices import choice_label
from clientela.core.html import count_text, esc, icon, local_date, money, per_language


class Texts:
    """The panel's fixed texts in one language, escaped (the messages with placeholders as they are)."""

    def __init__(self) -> None:
        self.heading = f"{icon('chart-column')} {esc(_('Customer value'))}"
        self.empty = esc(
            _(
                "No value figures yet: they appear once the customer has a purchase and the models have been "
                "fitted."
            )
        )
        self.rfm = esc(_("RFM segment"))
        self.rfm_title = esc(_("Recency, frequency and monetary scores, 1 (lowest) to 5 (best)"))
        self.net = esc(_("Net value"))
        self.p_alive = esc(_("Probability alive"))
        self.order_value = esc(_("Expected order value"))
        self.clv = esc(_("Lifetime value"))
        self.churn = esc(_("Churn risk"))
        self.note = esc(_("Note:"))
        self.fitted = _("Models fitted on %(fitted)s")
        self.as_of = _("figures as of %(as_of)s")


_texts = per_language(Texts)


def _number(value: Any) -> str:
    return esc(localize(value))


def _money_or_dash(amount: Any, currency: str) -> str:
    return "—" if amount is None else esc(money(amount, currency))


def value_html(panel: Mapping[str, Any]) -> SafeString:
    """The value panel (``analytics.panels.value_context`` gives ``panel``)."""
    if panel.get("hidden"):
        return mark_safe("")
    t = _texts()
    s = panel.get("score")
    head = f'<section class="card-cl" aria-labelledby="value-h">\n  <h2 id="value-h" class="h5">{t.heading}</h2>\n  '
    if not s:
        return mark_safe(f'{head}\n  <p class="muted small mb-0">{t.empty}</p>\n  \n</section>')
    segment = f"<strong>{esc(choice_label(s, 'rfm_segment'))}</strong>" if s.rfm_segment else "—"
    purchases = count_text("%(n)s purchase", "%(n)s purchases", s.purchases)
    p_alive = "—" if panel.get("p_alive_pct") is None else f"{_number(panel['p_alive_pct'])} %"
    days = panel.get("horizon_days") or 365
    expected_label = ngettext(
        "Expected purchases (next %(days)s day)", "Expected purchases (next %(days)s days)", days
    ) % {"days": _number(days)}
    expected = (
        "—" if s.expected_purchases is None else conditional_escape(floatformat(s.expected_purchases, 1))
    )
    if s.churn_risk:
        tone = {"high": " text-bg-danger", "low": " text-bg-success"}.get(s.churn_risk, "")
        churn = f'<span class="chip{tone}">{esc(choice_label(s, "churn_risk"))}</span>'
    else:
        churn = "—"
    churn_text = f'<dd class="muted small">{esc(panel["churn_text"])}</dd>' if panel.get("churn_text") else ""
    notes = panel.get("notes")
    notes_html = (
        f'\n  <p class="muted small">{t.note} {"; ".join(esc(n) for n in notes)}</p>' if notes else ""
    )
    fit = panel.get("fit")
    fitted = t.fitted % {"fitted": local_date(fit.fitted_at, "SHORT_DATE_FORMAT")} + " · " if fit else ""
    as_of = t.as_of % {"as_of": local_date(s.as_of, "SHORT_DATETIME_FORMAT")}
    return mark_safe(
        f'{head}\n  <dl class="figure-grid value-grid">\n'
        f"    <div><dt>{t.rfm}</dt><dd>{segment}</dd>\n"
        f'      <dd class="muted small" title="{t.rfm_title}">R {_number(s.r_score)} · F {_number(s.f_score)} · '
        f"M {_number(s.m_score)}</dd></div>\n"
        f'    <div><dt>{t.net}</dt><dd class="num-fig">{esc(money(s.monetary, s.currency))}</dd>\n'
        f'      <dd class="muted small">{purchases}</dd></div>\n'
        f'    <div><dt>{t.p_alive}</dt><dd class="num-fig">{p_alive}</dd></div>\n'
        f'    <div><dt>{expected_label}</dt><dd class="num-fig">{expected}</dd></div>\n'
        f'    <div><dt>{t.order_value}</dt><dd class="num-fig">{_money_or_dash(s.expected_order_value, s.currency)}</dd></div>\n'
        f'    <div><dt>{t.clv}</dt><dd class="num-fig">{_money_or_dash(s.clv, s.currency)}</dd></div>\n'
        f"    <div><dt>{t.churn}</dt><dd>{churn}</dd>\n      {churn_text}</div>\n  </dl>{notes_html}\n"
        f'  <p class="muted small mb-0">{fitted}{as_of}</p>\n  \n</section>'
    )
