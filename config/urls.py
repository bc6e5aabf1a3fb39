"""Root URL configuration: each app owns its own urls module."""

from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("clientela.api.urls")),
    path("accounts/", include("clientela.accounts.urls")),
    path("customers/", include("clientela.parties.urls")),
    path("customers/", include("clientela.interactions.urls")),
    path("imports/", include("clientela.imports.urls")),
    path("sales/", include("clientela.sales.urls")),
    path("products/", include("clientela.products.urls")),
    path("quotes/", include("clientela.orders.urls")),
    path("tasks/", include("clientela.activities.urls")),
    path("integrations/", include("clientela.integrations.urls")),
    path("analytics/", include("clientela.analytics.urls")),
    path("segments/", include("clientela.segments.urls")),
    path("duplicates/", include("clientela.identity.urls", namespace="identity")),
    path("", include("clientela.web.urls")),
]

handler400 = "clientela.web.views.bad_request"
handler403 = "clientela.web.views.permission_denied"
handler404 = "clientela.web.views.page_not_found"
handler500 = "clientela.web.views.server_error"
