"""Prometheus exposition at /metrics (prometheus-client), for the monitoring network or a token.

Numbers come from the database at scrape time (not from process-local counters), so every daphne
process answers the same and a restart loses nothing. National totals: no actor, no case data.

Open WebSockets are not exported: no shared count of sockets exists yet (the consumers live in
`chat`, which keeps none); see docs/dashboard.md.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from accounts.middleware import otp_exempt
from accounts.models import Role
from accounts.net import client_ip
from helpdesk import routing
from helpdesk.choices import Priority, Status
from helpdesk.dashboard.selectors import open_consultations, sla_flags
from helpdesk.models import ConsultationEvent, EventKind, Queue
from peer.models import ResponderProfile

logger = logging.getLogger(__name__)
OPEN = (Status.RECEIVED, Status.IN_PROGRESS, Status.WAITING, Status.ESCALATED)
WAITING = Q(status__in=routing.OPEN_FOR_CLAIM, assignee__isnull=True)


class ServiceCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        slugs = dict(Queue.objects.values_list("pk", "slug"))
        depth = GaugeMetricFamily(
            "soudan_queue_waiting", "Consultations waiting to be taken.", labels=["queue", "priority"]
        )
        oldest = GaugeMetricFamily(
            "soudan_queue_oldest_wait_seconds", "Age of the oldest waiting consultation.", labels=["queue"]
        )
        active = GaugeMetricFamily(
            "soudan_queue_in_progress", "Open consultations someone is working on.", labels=["queue"]
        )
        open_rows = open_consultations(None, now=now)
        per_queue: dict[str, tuple[float, int]] = {slug: (0.0, 0) for slug in slugs.values()}
        waiting: Counter[tuple[str, str]] = Counter()
        for row in open_rows:
            slug = slugs.get(row.queue_id, str(row.queue_id))
            wait, busy = per_queue.get(slug, (0.0, 0))
            if row.waiting:
                waiting[(slug, row.priority)] += 1
                wait = max(wait, row.wait_seconds)
            else:
                busy += 1
            per_queue[slug] = (wait, busy)
        for slug in sorted(per_queue):
            for priority in Priority.values:
                depth.add_metric([slug, priority], waiting[(slug, priority)])
        for slug, (wait, busy) in sorted(per_queue.items()):
            oldest.add_metric([slug], max(0.0, wait))
            active.add_metric([slug], busy)
        yield depth
        yield oldest
        yield active

        flags = sla_flags(open_rows)
        warnings = GaugeMetricFamily(
            "soudan_sla_warnings_open", "Open consultations with a target past its warning."
        )
        breaches = GaugeMetricFamily(
            "soudan_sla_breaches_open", "Open consultations with a target missed and still unmet."
        )
        warnings.add_metric([], sum(1 for warning, _breach in flags.values() if warning))
        breaches.add_metric([], sum(1 for _warning, breach in flags.values() if breach))
        yield warnings
        yield breaches

        recent = ConsultationEvent.objects.filter(
            kind=EventKind.SLA_BREACH, created_at__gte=now - timedelta(hours=24)
        ).count()
        yield GaugeMetricFamily(
            "soudan_sla_breaches_last_24h", "Response targets missed in the last 24 hours.", value=recent
        )

        on_duty = GaugeMetricFamily("soudan_responders_on_duty", "Responders on duty.", labels=["role"])
        counts = dict(
            ResponderProfile.objects.filter(on_duty=True, user__is_active=True)
            .values_list("user__role")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for role in (Role.PEER, Role.EXPERT, Role.SUPERVISOR):
            on_duty.add_metric([role.value], counts.get(role, 0))
        yield on_duty


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServiceCollector())
    return registry


def _token_ok(request: HttpRequest) -> bool:
    expected = str(getattr(settings, "METRICS_TOKEN", "") or "")
    header = request.headers.get("Authorization", "")
    if not expected or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].strip().encode(), expected.encode())


def _network_ok(request: HttpRequest) -> bool:
    networks = getattr(settings, "METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32"])
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    for network in networks:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            logger.warning("METRICS_ALLOWED_NETWORKS holds an invalid network")
    return False


@otp_exempt  # for Prometheus, not for people: a token or the monitoring network instead
@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not (_token_ok(request) or _network_ok(request)):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
