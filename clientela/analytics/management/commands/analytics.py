"""``clientela analytics refit [--as-of DATE] [--currency CODE] [--json]`` and ``clientela analytics status``.

``refit`` fits the RFM breakpoints, BG/NBD and Gamma-Gamma per currency on the ledger up to ``--as-of``
(a date means the end of that day; default now), replaces every customer score and prints the fitted
parameters and fit statistics (JSON with ``--json``). ``status`` prints the current fit of each currency.
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.analytics.models import ModelFit
from clientela.analytics.selectors import current_fits_by_currency, fit_document
from clientela.analytics.services import analytics_refit
from clientela.core.actor import Actor, Source


def parse_as_of(value: str) -> dt.datetime:
    """An ISO date (the end of that day, local time) or date-time; CommandError when it is neither."""
    text = value.strip()
    moment: dt.datetime | None = None
    day: dt.date | None = None
    try:
        # a bare date first: parse_datetime would read it as that day's midnight
        day = parse_date(text)
        if day is None:
            moment = parse_datetime(text)
    except ValueError:
        moment = day = None
    if moment is None and day is not None:
        moment = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min) - dt.timedelta(microseconds=1)
    if moment is None:
        raise CommandError(
            _("--as-of must be a date (2025-06-30) or a date and time (2025-06-30T18:00), not %(value)r.")
            % {"value": value}
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _num(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e-3 or abs(value) >= 1e6 else f"{value:.{digits}f}"
    return "—" if value is None else str(value)


class Command(BaseCommand):
    """Refit the customer value models, or show the current fits."""

    help = "Refit the customer value models (RFM, BG/NBD, Gamma-Gamma) or show the current fits."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{refit,status}")
        refit = sub.add_parser("refit", help="Fit the models on the ledger and rescore every customer.")
        refit.add_argument("--as-of", dest="as_of", help="Use the ledger up to this date (default: now).")
        refit.add_argument("--currency", help="Refit only this currency (ISO code).")
        refit.add_argument("--json", action="store_true", help="Print the fits as JSON.")
        status = sub.add_parser("status", help="Show the current fit of each currency.")
        status.add_argument("--json", action="store_true", help="Print the fits as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            fits = list(current_fits_by_currency().values())
            self._print(fits, options["json"], None)
            if not fits and not options["json"]:
                self.stdout.write(_("No model has been fitted yet. Run: clientela analytics refit"))
            return
        as_of = parse_as_of(options["as_of"]) if options.get("as_of") else None
        currency = (options.get("currency") or "").strip().upper() or None
        if currency is not None and (len(currency) != 3 or not currency.isalpha()):
            raise CommandError(_("--currency must be a three-letter ISO code, e.g. EUR."))
        try:
            fits = analytics_refit(
                actor=Actor.system("clientela analytics refit", source=Source.CLI),
                as_of=as_of,
                currency=currency,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if not fits and not options["json"]:
            self.stdout.write(_("No purchases in the ledger up to that date: there was nothing to fit."))
            return
        self._print(fits, options["json"], as_of)

    def _print(self, fits: list[ModelFit], as_json: bool, as_of: dt.datetime | None) -> None:
        if as_json:
            document = {
                "as_of": (fits[0].as_of if fits else as_of or timezone.now()).isoformat(),
                "fits": [fit_document(f) for f in fits],
            }
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
            return
        for fit in fits:
            self.stdout.write(
                _(
                    "%(currency)s — %(status)s, data up to %(as_of)s: %(customers)d customers, %(purchases)d purchases"
                )
                % {
                    "currency": fit.currency,
                    "status": fit.get_status_display(),
                    "as_of": fit.as_of.isoformat(timespec="seconds"),
                    "customers": fit.customers,
                    "purchases": fit.purchases,
                }
            )
            if fit.message:
                self.stdout.write(f"  {fit.message}")
            rfm = fit.rfm or {}
            for key, label in (
                ("recency_days", _("recency (days)")),
                ("frequency", _("purchases")),
                ("monetary", _("net value")),
            ):
                if key in rfm:
                    cuts = ", ".join(_num(v, 2) for v in rfm[key])
                    self.stdout.write(
                        "  " + _("RFM breakpoints, %(what)s: %(cuts)s") % {"what": label, "cuts": cuts}
                    )
            stats = fit.stats or {}
            for name, params, key in (
                ("BG/NBD", fit.bgnbd, "bgnbd"),
                ("Gamma-Gamma", fit.gamma_gamma, "gamma_gamma"),
            ):
                if not params:
                    continue
                values = ", ".join(f"{k} = {_num(v)}" for k, v in params.items())
                info = stats.get(key, {})
                self.stdout.write(
                    "  "
                    + _(
                        "%(model)s: %(values)s (log-likelihood %(ll)s, %(iterations)s iterations, %(n)s customers, %(converged)s)"
                    )
                    % {
                        "model": name,
                        "values": values,
                        "ll": _num(info.get("log_likelihood"), 2),
                        "iterations": info.get("iterations", "—"),
                        "n": info.get("n", "—"),
                        "converged": _("converged") if info.get("converged") else _("did not converge"),
                    }
                )
            holdout = stats.get("holdout") or {}
            if holdout.get("status") == "ok":
                self.stdout.write(
                    "  "
                    + _(
                        "Holdout check, last %(days)s days: %(forecast)s repeat purchases forecast by a fit "
                        "without them, %(actual)s made (%(customers)s customers)."
                    )
                    % {
                        "days": _num(holdout.get("days"), 0),
                        "forecast": _num(holdout.get("forecast"), 1),
                        "actual": holdout.get("actual"),
                        "customers": holdout.get("customers"),
                    }
                )
            elif holdout:
                self.stdout.write(
                    "  "
                    + _("Holdout check, last %(days)s days: not possible (%(reason)s).")
                    % {
                        "days": _num(holdout.get("days"), 0),
                        "reason": holdout.get("message") or holdout.get("status"),
                    }
                )
            if stats.get("single_purchase_note"):
                self.stdout.write(
                    "  "
                    + _(
                        "Customers with a single purchase are valued at the observed mean order value of "
                        "repeat customers (%(value)s): the model's population mean is unstable (q close to 1)."
                    )
                    % {"value": _num(stats.get("single_purchase_value"), 2)}
                )
            left_out = stats.get("left_out_purchases") or {}
            for cur, n in sorted(left_out.items()):
                self.stdout.write(
                    "  "
                    + ngettext(
                        "%(n)d purchase in %(currency)s left out (customers whose main currency is %(main)s)",
                        "%(n)d purchases in %(currency)s left out (customers whose main currency is %(main)s)",
                        n,
                    )
                    % {"n": n, "currency": cur, "main": fit.currency}
                )
