from django.urls import path

from helpdesk.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.live_view, name="live"),
    path("live.json", views.live_json_view, name="live_json"),
    path("consultations/", views.drilldown_view, name="drilldown"),
    path("history/", views.history_view, name="history"),
    path("export/<slug:table>.csv", views.export_view, name="export"),
]
