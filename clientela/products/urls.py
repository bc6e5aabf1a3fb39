from django.urls import path

from clientela.products import views

app_name = "products"
urlpatterns: list = [
    path("", views.product_list, name="list"),
    path("new/", views.product_create, name="create"),
    path("<int:pk>/edit/", views.product_edit, name="edit"),
    path("price-lists/", views.price_list_list, name="price_lists"),
    path("price-lists/new/", views.price_list_create, name="price_list_create"),
    path("price-lists/<int:pk>/", views.price_list_detail, name="price_list_detail"),
    path("price-lists/<int:pk>/edit/", views.price_list_edit, name="price_list_edit"),
    path("price-lists/<int:pk>/items/", views.price_list_item_save, name="price_list_item_save"),
    path(
        "price-lists/<int:pk>/items/<int:item_pk>/remove/",
        views.price_list_item_remove,
        name="price_list_item_remove",
    ),
]
