"""The board, opportunity and pipeline routes checked by test_opportunity_permissions.py."""

# web routes acting on one opportunity (pk): the action the role needs
OPPORTUNITY_WEB = {
    "sales:opportunity": "view",
    "sales:opportunity_edit": "change",
    "sales:opportunity_move": "change",
    "sales:opportunity_delete": "delete",
}
# web routes listing (checked for leaks of records outside the scope)
LIST_WEB = {
    "sales:home",
    "sales:board",
    "sales:board_column",
    "sales:opportunities",
    "sales:opportunity_new",
    "sales:party_options",
    "sales:party_opportunities",
}
# sales settings: decided by the role's "catalog" scope
SETTINGS_WEB = {
    "sales:pipelines",
    "sales:pipeline_new",
    "sales:pipeline_edit",
    "sales:lost_reason_add",
    "sales:lost_reason_toggle",
}

OPPORTUNITY_API = {
    ("GET", "/api/v1/opportunities/{opportunity_id}"): "view",
    ("PATCH", "/api/v1/opportunities/{opportunity_id}"): "change",
    ("DELETE", "/api/v1/opportunities/{opportunity_id}"): "delete",
    ("POST", "/api/v1/opportunities/{opportunity_id}/move"): "change",
    ("GET", "/api/v1/opportunities/{opportunity_id}/stage-changes"): "view",
}
LIST_API = {
    ("GET", "/api/v1/pipelines"),
    ("GET", "/api/v1/pipelines/{pipeline_id}/board"),
    ("GET", "/api/v1/opportunities"),
    ("POST", "/api/v1/opportunities"),
}

WEB_ROUTE_NAMES: set[str] = set(OPPORTUNITY_WEB) | LIST_WEB | SETTINGS_WEB
API_ROUTE_KEYS: set[tuple[str, str]] = set(OPPORTUNITY_API) | LIST_API
