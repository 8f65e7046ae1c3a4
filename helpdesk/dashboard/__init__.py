"""Supervisor dashboard: live queue health, response-time history, CSV export and /metrics.

Reads only, scoped to the actor in `scope.py`; aggregates only, never case text. The JSON API calls
`helpdesk.dashboard.selectors.metrics_for(actor, filters)` for the same numbers as the pages.
"""
