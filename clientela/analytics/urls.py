from django.urls import path

from clientela.analytics import views_dashboard, views_models

app_name = "analytics"

urlpatterns: list = [
    path("", views_dashboard.dashboard_page, name="dashboard"),
    path("tiles/<slug:tile>/", views_dashboard.dashboard_tile, name="dashboard_tile"),
    path("churn/", views_dashboard.churn_page, name="churn"),
    path("what-to-correct/", views_dashboard.rates_page, name="rates"),
    path("models/", views_models.models_page, name="models"),
    path("models/refit/", views_models.refit_now, name="refit"),
]
