"""The result of a dossier issued electronically: attached, signed (verbs, signing), verified (verify), and its pages (views)."""
