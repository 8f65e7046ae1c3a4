from helpdesk.models.care import DebriefRequest, Feedback, FollowUp, Reflection
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
from helpdesk.models.triage import TriageCorrection

__all__ = [
    "QUESTION_MAX_LENGTH",
    "SUMMARY_MAX_LENGTH",
    "ConferenceInvite",
    "Consultation",
    "ConsultationEvent",
    "DebriefRequest",
    "EventKind",
    "Feedback",
    "FollowUp",
    "PrivateNote",
    "Queue",
    "QueueKind",
    "Reflection",
    "RoutingRule",
    "SLAPolicy",
    "SLATimer",
    "TimerKind",
    "Transfer",
    "TriageCorrection",
]
