"""Documents of a dossier: the result document, signed (results, signing, verify)."""
