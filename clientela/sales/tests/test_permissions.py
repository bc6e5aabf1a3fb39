"""Every sales route, for every role: records outside the user's scope are refused without leaking or
changing anything. The route lists are collected by the project-wide inventory
(clientela/core/tests/test_permission_inventory.py); each group is tested in its own module."""

from __future__ import annotations

from clientela.sales.tests import routes_forecast, routes_leads, routes_opportunities

WEB_ROUTE_NAMES = (
    routes_opportunities.WEB_ROUTE_NAMES | routes_leads.WEB_ROUTE_NAMES | routes_forecast.WEB_ROUTE_NAMES
)
API_ROUTE_KEYS = (
    routes_opportunities.API_ROUTE_KEYS | routes_leads.API_ROUTE_KEYS | routes_forecast.API_ROUTE_KEYS
)
