"""Trend analyses beyond the views: what drove a change (revenue_drivers)."""
