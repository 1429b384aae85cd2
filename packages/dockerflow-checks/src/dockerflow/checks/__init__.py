"""Dockerflow health checks: messages, registry and runner."""
