"""Helpers for tests that run real servers: daphne processes, a private redis-server
and a small WebSocket chat client."""
