from django.urls import path

from clientela.interactions import views

app_name = "interactions"
urlpatterns = [
    path("<int:pk>/timeline/", views.timeline, name="timeline"),
    path("<int:pk>/log/<slug:kind>/", views.quick_log, name="quick_log"),
]
