from django.urls import path

from clientela.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_suggest, name="search"),
]
