"""Extension point of the opportunity page: apps built on sales (quotes and orders, tasks...) add panels.

sales cannot import the apps above it, so they register here from their AppConfig.ready(), exactly as
the customer page's panels work (``clientela.parties.panels``); the only position is "related", under
the opportunity's details.
"""

from __future__ import annotations

from clientela.parties.panels import Panel, _Registry

opportunity_panels = _Registry()

__all__ = ["Panel", "opportunity_panels"]
