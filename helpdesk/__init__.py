"""Consultations, de-identification, routing, SLAs and metrics."""
