"""The forecast routes checked by this module's permission tests (collected by test_permissions.py)."""

WEB_ROUTE_NAMES: set[str] = {"sales:forecast"}
API_ROUTE_KEYS: set[tuple[str, str]] = {("GET", "/api/v1/forecast")}
