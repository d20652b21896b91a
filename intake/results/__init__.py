"""The result of a dossier issued electronically: attached and signed (verbs, signing), verified
(verify), and its pages (views)."""
