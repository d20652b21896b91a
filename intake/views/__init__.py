"""Intake pages, one module per screen family (``counter``, ``lookup`` …); the routes are in
``intake/urls.py``."""
