from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("enrol/", views.enrol_view, name="enrol"),
    path("backup-codes/", views.backup_codes_view, name="backup_codes"),
    path("invite/<uidb64>/<token>/", views.InvitationView.as_view(), name="invite"),
]
