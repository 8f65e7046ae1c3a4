"""Which queue a consultation goes to, and who may take it."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from helpdesk.choices import PRIORITY_ORDER, Priority, Status, Subtype
from helpdesk.models import Consultation, ConsultationEvent, EventKind, Queue, QueueKind, RoutingRule
from peer import selectors as peer_selectors
from peer.models import ResponderProfile, TrainingLevel, levels_up_to

HEAVY_SUBTYPES = {Subtype.DOMESTIC_VIOLENCE, Subtype.ABUSE, Subtype.SUICIDAL_SELF_HARM}
OPEN_FOR_CLAIM = (Status.RECEIVED, Status.ESCALATED)
ACTIVE_STATUSES = (Status.IN_PROGRESS, Status.WAITING, Status.ESCALATED)


def rule_for(consultation: Consultation) -> RoutingRule | None:
    urgent = consultation.priority == Priority.URGENT
    for rule in RoutingRule.objects.filter(is_active=True, queue__is_active=True).select_related("queue"):
        if rule.urgent_only and not urgent:
            continue
        if rule.category and rule.category != consultation.category:
            continue
        if rule.subtype and rule.subtype != consultation.subtype:
            continue
        if rule.requested_responder and rule.requested_responder != consultation.requested_responder:
            continue
        if rule.requested_profession and rule.requested_profession != consultation.requested_profession:
            continue
        return rule
    return None


def raise_priority(current: str, minimum: str) -> str:
    return minimum if PRIORITY_ORDER[Priority(minimum)] > PRIORITY_ORDER[Priority(current)] else current


def weight(consultation: Consultation) -> int:
    """Urgent and violence/abuse/suicide cases weigh double against a responder's capacity."""
    return 2 if consultation.priority == Priority.URGENT or consultation.subtype in HEAVY_SUBTYPES else 1


def load_of(user: User) -> int:
    active = Consultation.objects.filter(assignee=user, status__in=ACTIVE_STATUSES).only(
        "priority", "subtype"
    )
    return sum(weight(c) for c in active)


def _peer_level(profile: ResponderProfile | None) -> str:
    return profile.training_level if profile else TrainingLevel.NOVICE


def _queue_filter_for(actor: User, profile: ResponderProfile | None) -> Q:
    if actor.role == Role.SUPERVISOR:
        return Q(queue__kind=QueueKind.SUPERVISOR) | Q(priority=Priority.URGENT) | Q(status=Status.ESCALATED)
    if actor.role == Role.EXPERT:
        specialty_ok = Q(queue__specialty="") | Q(queue__specialty__in=list(actor.specialties or []))
        return Q(queue__kind=QueueKind.EXPERT) & specialty_ok
    if actor.role == Role.PEER:
        # Gates are data: Queue.min_training_level for peer queues, peer.QueueGate for the others
        # (the 緊急 lane: leaders by default), whose urgent gate also covers urgent peer-queue work.
        level = _peer_level(profile)
        peer_ok = Q(queue__kind=QueueKind.PEER, queue__min_training_level__in=levels_up_to(level))
        peer_ok |= Q(queue__slug__in=peer_selectors.gated_queue_slugs_for(level))
        if not peer_selectors.may_see_urgent(level):
            peer_ok &= ~Q(priority=Priority.URGENT)
        return peer_ok
    return Q(pk__in=[])


def queues_for(actor: User) -> QuerySet[Queue]:
    """The queues a responder may take work from."""
    active = Queue.objects.filter(is_active=True)
    if not actor.is_active:
        return active.none()
    if actor.role == Role.SUPERVISOR:
        return active
    if actor.role == Role.EXPERT:
        return active.filter(kind=QueueKind.EXPERT).filter(
            Q(specialty="") | Q(specialty__in=list(actor.specialties or []))
        )
    if actor.role == Role.PEER:
        level = _peer_level(ResponderProfile.objects.filter(user=actor).first())
        return active.filter(
            Q(kind=QueueKind.PEER, min_training_level__in=levels_up_to(level))
            | Q(slug__in=peer_selectors.gated_queue_slugs_for(level))
        )
    return active.none()


def conflict_of_interest(actor: User, consultation: Consultation) -> bool:
    """Never the worker's own organisation; not the same municipality when the worker is pseudonymous."""
    worker_org = consultation.worker.organisation
    if worker_org.pk == actor.organisation_id:
        return True
    code = actor.organisation.municipality_code
    return bool(consultation.pseudonymous and code and worker_org.municipality_code == code)


def visible_to_responder(actor: User) -> QuerySet[Consultation]:
    """Consultations a responder may look at: eligible queues, never their own organisation's."""
    if not actor.is_active or actor.role not in (Role.PEER, Role.EXPERT, Role.SUPERVISOR):
        return Consultation.objects.none()
    profile = ResponderProfile.objects.filter(user=actor).first()
    own_org = actor.organisation
    scope = Consultation.objects.exclude(worker__organisation_id=own_org.pk)
    if own_org.municipality_code:
        scope = scope.exclude(
            pseudonymous=True, worker__organisation__municipality_code=own_org.municipality_code
        )
    return scope.filter(_queue_filter_for(actor, profile) | Q(assignee=actor))


def ordered_by_urgency(queryset: QuerySet[Consultation]) -> QuerySet[Consultation]:
    rank = Case(
        When(priority=Priority.URGENT, then=Value(0)),
        When(priority=Priority.HIGH, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return queryset.annotate(priority_rank=rank).order_by("priority_rank", "created_at", "id")


def claimable_for(actor: User, now: datetime | None = None) -> QuerySet[Consultation]:
    """What a responder is offered now: nothing while away or off shift; no heavy case at the cap."""
    now = now or timezone.now()
    state = peer_selectors.duty_state_for(actor, now)
    if not state.available:
        return Consultation.objects.none()
    offered = visible_to_responder(actor).filter(status__in=OPEN_FOR_CLAIM, assignee__isnull=True)
    if _heavy_cap_reached(actor, state, now):
        offered = offered.exclude(subtype__in=HEAVY_SUBTYPES)
    return ordered_by_urgency(offered)


# --- Availability and heavy-case accounting (care for the carers) ------------------------------

REFUSALS = {
    "off_duty": _("Switch to on duty before taking a consultation."),
    "off_shift": _("Your shift has ended."),
    "heavy_cap": _("You have had enough heavy cases this week."),
}


def heavy_cases_this_week(user: User, now: datetime | None = None) -> int:
    """Distinct violence/abuse/suicide consultations taken (claimed or accepted) since Monday, Tokyo."""
    now = now or timezone.now()
    return (
        ConsultationEvent.objects.filter(
            actor=user,
            kind__in=[EventKind.CLAIMED, EventKind.TRANSFER_ACCEPTED],
            created_at__gte=peer_selectors.tokyo_week_start(now),
            created_at__lte=now,
            consultation__subtype__in=HEAVY_SUBTYPES,
        )
        .values("consultation_id")
        .distinct()
        .count()
    )


def _heavy_cap_reached(user: User, state: peer_selectors.DutyState, now: datetime) -> bool:
    cap = state.heavy_weekly_cap
    if cap is None:
        if user.role == Role.SUPERVISOR:
            return False  # the last tier of escalation is capped only by an explicit override
        cap = peer_selectors.default_heavy_weekly_cap()
    return heavy_cases_this_week(user, now) >= cap


def heavy_cap_reached(user: User, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return _heavy_cap_reached(user, peer_selectors.duty_state_for(user, now), now)


def take_refusal(user: User, consultation: Consultation, now: datetime | None = None) -> str | None:
    """Why this responder may not take this consultation now (a key of REFUSALS), or None."""
    now = now or timezone.now()
    state = peer_selectors.duty_state_for(user, now)
    if not state.on_duty:
        return "off_duty"
    if not state.available:
        return "off_shift"
    if consultation.subtype in HEAVY_SUBTYPES and _heavy_cap_reached(user, state, now):
        return "heavy_cap"
    return None


def may_take(user: User, consultation: Consultation, now: datetime | None = None) -> bool:
    return take_refusal(user, consultation, now) is None


def next_tier(queue: Queue | None) -> Queue | None:
    if queue is not None and queue.escalates_to_id and queue.escalates_to and queue.escalates_to.is_active:
        return queue.escalates_to
    return Queue.objects.filter(kind=QueueKind.SUPERVISOR, is_active=True).order_by("id").first()
