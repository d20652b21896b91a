"""Feedback and petitions (phản ánh, kiến nghị): the register, the verbs from receipt to the
published answer and the sender's rating, the citizens' pages and the staff's. See
``docs/petitions.md``."""
