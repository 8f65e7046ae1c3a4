"""Realtime chat for consultations: WebSocket consumers and message delivery."""
