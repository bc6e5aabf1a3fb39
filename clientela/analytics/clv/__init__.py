"""The customer-value math engine: pure numpy/scipy/polars, no Django.

Times are days as float64 (sub-day resolution kept), money float64 (the Django layer converts to
Decimal). Modules:

* ``rfm``: per-customer summary from purchase/return rows, quintile scores with stored breakpoints,
  the 11 named segments;
* ``bgnbd``: BG/NBD (Fader, Hardie & Lee 2005) fit, P(alive), conditional and unconditional expected
  purchases;
* ``gamma_gamma``: Gamma-Gamma spend model (Fader & Hardie 2013) fit and expected order value;
* ``value``: discounted CLV over a horizon, churn risk;
* ``pipeline``: ``score_all``, everything for one currency;
* ``synthetic``: simulated BG/NBD + Gamma-Gamma customer bases (tests, bench);
* ``optim``: the small BFGS minimiser the fits use.
"""
