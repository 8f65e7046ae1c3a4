"""Audit action names written by the helpdesk app."""

CONSULTATION_CREATED = "consultation_created"
CONSULTATION_REFUSED_IDENTIFIERS = "consultation_refused_identifiers"
