from helpdesk.models.consultation import QUESTION_MAX_LENGTH, SUMMARY_MAX_LENGTH, Consultation
from helpdesk.models.routing import (
    ConferenceInvite,
    ConsultationEvent,
    EventKind,
    PrivateNote,
    Queue,
    QueueKind,
    RoutingRule,
    Transfer,
)
from helpdesk.models.sla import SLAPolicy, SLATimer, TimerKind

__all__ = [
    "QUESTION_MAX_LENGTH",
    "SUMMARY_MAX_LENGTH",
    "ConferenceInvite",
    "Consultation",
    "ConsultationEvent",
    "EventKind",
    "PrivateNote",
    "Queue",
    "QueueKind",
    "RoutingRule",
    "SLAPolicy",
    "SLATimer",
    "TimerKind",
    "Transfer",
]
