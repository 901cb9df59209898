"""Printed patient handouts for a spine practice, built from content modules per visit type."""

__version__ = "0.1.0"
