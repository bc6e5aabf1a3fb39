from django.urls import path

from clientela.integrations import views

app_name = "integrations"
urlpatterns = [
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/edit/", views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/active/", views.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<int:pk>/secret/", views.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:pk>/test/", views.webhook_test, name="webhook_test"),
    path("deliveries/", views.delivery_list, name="deliveries"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<int:pk>/resend/", views.delivery_resend, name="delivery_resend"),
]
