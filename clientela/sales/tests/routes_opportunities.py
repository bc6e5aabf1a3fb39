"""The board, opportunity and pipeline routes checked by test_opportunity_permissions.py."""

WEB_ROUTE_NAMES: set[str] = set()
API_ROUTE_KEYS: set[tuple[str, str]] = set()
