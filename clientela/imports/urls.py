"""Mounted at ``imports/`` by config/urls.py."""

from django.urls import path

from clientela.imports import views, views_export, views_sources

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("new/", views.job_new, name="new"),
    path("<int:pk>/", views.job_detail, name="detail"),
    path("<int:pk>/mapping/", views.job_mapping, name="mapping"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
    path("<int:pk>/errors.csv", views.job_errors_csv, name="errors_csv"),
    path("<int:pk>/undo/", views.job_undo, name="undo"),
    path("customers/<int:pk>/sources/", views_sources.customer_sources, name="customer_sources"),
    path("export/customers.csv", views_export.export_csv, name="export_csv"),
    path("export/customers.xlsx", views_export.export_xlsx, name="export_xlsx"),
]
