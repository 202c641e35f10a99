"""Importing real photos into a catalog: `sources` (CSV, folders, Car Connection), `images`
(decode, normalise, deduplicate) and `importers` (the import itself, with its report)."""
