from django.urls import path

from clientela.segments import views

app_name = "segments"

urlpatterns: list = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_create, name="create"),
    path("builder/row/", views.builder_row, name="builder_row"),
    path("builder/preview/", views.builder_preview, name="builder_preview"),
    path("customer/<int:pk>/", views.party_segments, name="party_segments"),
    path("<int:pk>/", views.segment_detail, name="detail"),
    path("<int:pk>/edit/", views.segment_edit, name="edit"),
    path("<int:pk>/members/", views.segment_members, name="members"),
    path("<int:pk>/history/", views.segment_history, name="history"),
    path("<int:pk>/export.csv", views.segment_export, name="export"),
    path("<int:pk>/delete/", views.segment_delete, name="delete"),
    path("<int:pk>/evaluate/", views.segment_evaluate, name="evaluate"),
]
