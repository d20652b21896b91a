"""The national portal (Cổng Dịch vụ công quốc gia): the outbox of every change of a dossier
that must be reported to it and its delivery (``outbox.py``, ``backends.py``), the fields in
its names (``payload.py``), the inbound API for its dossiers (``api.py``) and indicator 1.4
(``indicators.py``). See ``docs/national.md``."""
