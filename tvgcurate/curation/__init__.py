"""Curation stages: ingest, keyframes (SAA), irrelevant pairs (PIR), audit."""
