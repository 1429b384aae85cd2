"""Mozlog JSON logging for Dockerflow services."""
