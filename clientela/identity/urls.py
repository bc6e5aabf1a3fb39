from django.urls import path

from clientela.identity import views, views_check, views_runs

app_name = "identity"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("check/", views_check.check, name="check"),
    path("runs/", views_runs.run_start, name="run_start"),
    path("runs/<int:pk>/", views_runs.run_status, name="run_status"),
    path("bulk-merge/", views.bulk_merge, name="bulk_merge"),
    path("<int:pk>/", views.pair, name="pair"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/distinct/", views.distinct, name="distinct"),
    path("<int:pk>/skip/", views.skip, name="skip"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
]
