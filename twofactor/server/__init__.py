"""Wiring: settings, the Starlette app, request context and auth, live events, command line."""
