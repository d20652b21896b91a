"""Online filing on this portal and the online reception inbox.

``verbs.py`` — ``submit_online`` (a dossier filed online: status 1, its code and key at once;
also called by the national portal's inbound API), and the inbox's checks (``accept_online``,
``request_completion``, ``refuse_online``, ``complete_online``). ``docs/online.md`` tells the
whole story.
"""
