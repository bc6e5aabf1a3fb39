"""The leads routes checked by this module's permission tests (collected by test_permissions.py)."""

# Pages of one lead (the pk of a lead), the list and creation, and the public web form (no sign-in).
LEAD_WEB_ROUTES = {
    "sales:lead_detail",
    "sales:lead_history",
    "sales:lead_edit",
    "sales:lead_qualify",
    "sales:lead_convert",
}
# (the import page creates leads role-wide: only lead "add" scope "all", see test_lead_import_permissions)
LEAD_LIST_ROUTES = {"sales:leads", "sales:lead_create", "sales:lead_import"}
PUBLIC_ROUTES = {"sales:lead_web_form", "sales:lead_capture"}

WEB_ROUTE_NAMES: set[str] = LEAD_WEB_ROUTES | LEAD_LIST_ROUTES | PUBLIC_ROUTES
API_ROUTE_KEYS: set[tuple[str, str]] = {
    ("GET", "/api/v1/leads"),
    ("POST", "/api/v1/leads"),
    ("GET", "/api/v1/leads/{lead_id}"),
    ("PATCH", "/api/v1/leads/{lead_id}"),
    ("POST", "/api/v1/leads/{lead_id}/convert"),
}
