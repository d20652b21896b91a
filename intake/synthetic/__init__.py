"""Synthetic dossiers for demonstrations and benchmarks (``manage.py generate_dossiers``).

``world`` reads the catalogue, staff and calendars once; ``people`` draws applicants and the
words staff write; ``generator`` makes each run of days' receptions; ``journeys`` draws each
dossier's schedule and ``verbs`` carries it out with copies of the verbs, on the ``records``
of a chunk; ``rows`` numbers and writes the result; ``run`` drives it all, in worker processes
on PostgreSQL. ``docs/generate_dossiers.md`` says what is generated and how realistic it is.
"""
