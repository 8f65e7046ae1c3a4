from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("unread/", views.unread_view, name="unread"),
    path("check/", views.message_check_view, name="check"),
    path("circles/", views.circles_view, name="circles"),
    path("circles/<int:circle_id>/", views.circle_view, name="circle"),
    path("my-data/", views.my_data_view, name="my_data"),
]
