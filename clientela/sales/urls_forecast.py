"""URLs of the sales forecast pages (included by clientela.sales.urls, namespace "sales")."""

from django.urls import path

from clientela.sales import views_forecast

urlpatterns: list = [
    path("forecast/", views_forecast.forecast, name="forecast"),
]
