from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from accounts.middleware import otp_exempt
from accounts.views import home_view
from config.api import api
from config.health import healthz
from helpdesk.dashboard.prometheus import metrics_view

urlpatterns = [
    path("", home_view, name="home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", otp_exempt(set_language), name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("consultations/", include("helpdesk.urls")),
    path("chat/", include("chat.urls")),
    path("peer/", include("peer.urls")),
    path("care/", include("helpdesk.care")),
    path("dashboard/", include("helpdesk.dashboard.urls")),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.forbidden"
handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
