from django.urls import path

from peer import views

app_name = "peer"

urlpatterns = [
    path("availability/", views.availability_view, name="availability"),
    path("training/", views.training_list_view, name="training_list"),
    path("training/<int:user_id>/", views.training_view, name="training"),
    path("self-check/", views.selfcheck_view, name="selfcheck"),
    path("self-check/overview/", views.selfcheck_overview_view, name="selfcheck_overview"),
]
