"""Responder profiles, shifts, training levels, self-checks (issue: peer supporters)."""
