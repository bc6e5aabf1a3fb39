from django.urls import path

from clientela.parties import views

app_name = "parties"
urlpatterns = [
    path("", views.party_list, name="list"),
    path("new/", views.party_create, name="create"),
    path("validate/", views.party_validate, name="validate"),
    path("bin/", views.recycle_bin, name="bin"),
    path("organisations/", views.organisation_options, name="organisation_options"),
    path("<int:pk>/", views.party_detail, name="detail"),
    path("<int:pk>/history/", views.party_history, name="history"),
    path("<int:pk>/edit/", views.party_edit, name="edit"),
    path("<int:pk>/validate/", views.party_validate, name="validate_existing"),
    path("<int:pk>/delete/", views.party_delete, name="delete"),
    path("<int:pk>/restore/", views.party_restore, name="restore"),
    path("<int:pk>/relationships/", views.relationship_add, name="relationship_add"),
    path("relationships/<int:pk>/delete/", views.relationship_remove, name="relationship_remove"),
]
