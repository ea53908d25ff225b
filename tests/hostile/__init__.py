"""Hostile tests: each attacks one way the build could accept wrong data or a broken view."""
