"""Which queue a consultation goes to, and who may take it."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from accounts.models import Role, User
from helpdesk.choices import PRIORITY_ORDER, Priority, Status, Subtype
from helpdesk.models import Consultation, Queue, QueueKind, RoutingRule
from peer.models import TRAINING_ORDER, ResponderProfile, TrainingLevel

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


def _queue_filter_for(actor: User, profile: ResponderProfile | None) -> Q:
    if actor.role == Role.SUPERVISOR:
        return Q(queue__kind=QueueKind.SUPERVISOR) | Q(priority=Priority.URGENT) | Q(status=Status.ESCALATED)
    if actor.role == Role.EXPERT:
        specialty_ok = Q(queue__specialty="") | Q(queue__specialty__in=list(actor.specialties or []))
        return Q(queue__kind=QueueKind.EXPERT) & specialty_ok
    if actor.role == Role.PEER:
        level = TrainingLevel(profile.training_level if profile else TrainingLevel.NOVICE)
        allowed = [lvl for lvl, rank in TRAINING_ORDER.items() if rank <= TRAINING_ORDER[level]]
        peer_ok = Q(queue__kind=QueueKind.PEER, queue__min_training_level__in=allowed)
        if level != TrainingLevel.LEADER:
            peer_ok &= ~Q(priority=Priority.URGENT)  # the urgent lane: experts, supervisors, leader peers
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
        profile = ResponderProfile.objects.filter(user=actor).first()
        level = TrainingLevel(profile.training_level if profile else TrainingLevel.NOVICE)
        allowed = [lvl for lvl, rank in TRAINING_ORDER.items() if rank <= TRAINING_ORDER[level]]
        return active.filter(kind=QueueKind.PEER, min_training_level__in=allowed)
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


def claimable_for(actor: User) -> QuerySet[Consultation]:
    return ordered_by_urgency(
        visible_to_responder(actor).filter(status__in=OPEN_FOR_CLAIM, assignee__isnull=True)
    )


def next_tier(queue: Queue | None) -> Queue | None:
    if queue is not None and queue.escalates_to_id and queue.escalates_to and queue.escalates_to.is_active:
        return queue.escalates_to
    return Queue.objects.filter(kind=QueueKind.SUPERVISOR, is_active=True).order_by("id").first()
