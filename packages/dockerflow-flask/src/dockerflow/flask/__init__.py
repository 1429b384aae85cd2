"""Dockerflow for Flask."""
