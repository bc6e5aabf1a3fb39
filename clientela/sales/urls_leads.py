"""URLs of the sales leads pages (included by clientela.sales.urls, namespace "sales")."""

from django.urls import path

from clientela.sales import views_lead_import
from clientela.sales import views_leads as views

urlpatterns: list = [
    path("leads/", views.lead_list, name="leads"),
    path("leads/new/", views.lead_create, name="lead_create"),
    path("leads/import/", views_lead_import.lead_import, name="lead_import"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/history/", views.lead_history, name="lead_history"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/qualify/", views.lead_qualify, name="lead_qualify"),
    path("leads/<int:pk>/convert/", views.lead_convert, name="lead_convert"),
    # public: the embeddable web form and the endpoint any website posts it to (no sign-in)
    path("leads/form/", views.lead_web_form, name="lead_web_form"),
    path("leads/capture/", views.lead_capture, name="lead_capture"),
]
