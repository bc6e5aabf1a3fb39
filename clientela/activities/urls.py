from django.urls import path

from clientela.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.my_day, name="my_day"),
    path("all/", views.task_list, name="list"),
    path("new/", views.task_create, name="create"),
    path("quick/", views.quick_add, name="quick_add"),
    path("<int:pk>/", views.task_detail, name="detail"),
    path("<int:pk>/complete/", views.task_complete, name="complete"),
    path("<int:pk>/reopen/", views.task_reopen, name="reopen"),
    path("<int:pk>/cancel/", views.task_cancel, name="cancel"),
    path("customer/<int:pk>/", views.customer_tasks, name="customer_tasks"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/count/", views.notifications_count, name="notifications_count"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/regenerate/", views.calendar_regenerate, name="calendar_regenerate"),
    path("calendar/revoke/", views.calendar_revoke, name="calendar_revoke"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
