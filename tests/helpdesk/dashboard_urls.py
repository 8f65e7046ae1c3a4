"""config.urls plus the dashboard and /metrics, for tests that run before config.urls includes them."""

from django.urls import URLPattern, URLResolver, include, path

from config.urls import urlpatterns as config_patterns
from helpdesk.dashboard.prometheus import metrics_view


def _wired(namespace: str) -> bool:
    return any(isinstance(p, URLResolver) and p.namespace == namespace for p in config_patterns)


urlpatterns: list[URLPattern | URLResolver] = list(config_patterns)  # type: ignore[arg-type]
if not _wired("dashboard"):
    urlpatterns.append(path("dashboard/", include("helpdesk.dashboard.urls")))
if not any(isinstance(p, URLPattern) and p.name == "metrics" for p in config_patterns):
    urlpatterns.append(path("metrics", metrics_view, name="metrics"))
