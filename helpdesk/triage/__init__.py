"""Urgent-lane triage (緊急トリアージ) for consultations from hikikomori support workers.

    from helpdesk.triage import triage
    result = triage(summary=..., question=..., subtype="", worker_urgency="normal")
    result.urgent, result.level, result.reasons, result.discounted

Built on SudachiPy morphology (helpdesk.nlp) with lexicons kept as data files in
helpdesk/triage/data/. The text is never logged and never put in exception messages.
"""

from helpdesk.triage.engine import SUBTYPES, triage
from helpdesk.triage.lexicon import lexicon
from helpdesk.triage.model import LEVELS, Reason, TriageResult

__all__ = ["LEVELS", "SUBTYPES", "Reason", "TriageResult", "lexicon", "triage"]
