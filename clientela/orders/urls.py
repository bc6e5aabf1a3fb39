from django.urls import path

from clientela.orders import views, views_opportunity_products

app_name = "orders"
urlpatterns: list = [
    path("", views.quote_list, name="quote_list"),
    path("new/", views.quote_create, name="quote_create"),
    path("<int:pk>/", views.quote_detail, name="quote_detail"),
    path("<int:pk>/edit/", views.quote_edit, name="quote_edit"),
    path("<int:pk>/send/", views.quote_send, name="quote_send"),
    path("<int:pk>/accept/", views.quote_accept, name="quote_accept"),
    path("<int:pk>/reject/", views.quote_reject, name="quote_reject"),
    path("<int:pk>/new-version/", views.quote_new_version, name="quote_new_version"),
    path("<int:pk>/order/", views.quote_make_order, name="quote_make_order"),
    path("<int:pk>/print/", views.quote_print, name="quote_print"),
    path("<int:pk>/pdf/", views.quote_pdf_download, name="quote_pdf"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/status/", views.order_status, name="order_status"),
    path(
        "opportunities/<int:pk>/products/",
        views_opportunity_products.opportunity_products_edit,
        name="opportunity_products",
    ),
]
