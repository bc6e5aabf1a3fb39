"""URLs of the sales app: the board and opportunities here; leads and the forecast in their own modules."""

from django.urls import path

from clientela.sales import urls_forecast, urls_leads, views, views_config

app_name = "sales"
urlpatterns: list = [
    path("", views.board_home, name="home"),
    path("pipelines/<int:pk>/board/", views.board, name="board"),
    path("pipelines/<int:pk>/board/<int:stage_pk>/", views.board_column, name="board_column"),
    path("opportunities/", views.opportunity_list, name="opportunities"),
    path("opportunities/new/", views.opportunity_create, name="opportunity_new"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/move/", views.opportunity_move, name="opportunity_move"),
    path("opportunities/<int:pk>/delete/", views.opportunity_delete, name="opportunity_delete"),
    path("customer-options/", views.party_options, name="party_options"),
    path("customers/<int:pk>/opportunities/", views.party_opportunities, name="party_opportunities"),
    path("settings/", views_config.pipelines, name="pipelines"),
    path("settings/pipelines/new/", views_config.pipeline_edit, name="pipeline_new"),
    path("settings/pipelines/<int:pk>/", views_config.pipeline_edit, name="pipeline_edit"),
    path("settings/lost-reasons/", views_config.lost_reason_add, name="lost_reason_add"),
    path(
        "settings/lost-reasons/<int:pk>/toggle/", views_config.lost_reason_toggle, name="lost_reason_toggle"
    ),
    *urls_leads.urlpatterns,
    *urls_forecast.urlpatterns,
]
