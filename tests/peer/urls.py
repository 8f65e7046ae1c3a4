"""The project's URLs plus the peer and care pages, until config/urls.py includes them."""

from django.urls import include, path

from config.urls import urlpatterns as project_urls

urlpatterns = [
    *project_urls,
    path("peer/", include("peer.urls")),
    path("care/", include("helpdesk.care")),
]
