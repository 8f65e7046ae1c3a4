from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [path("unread/", views.unread_view, name="unread")]
