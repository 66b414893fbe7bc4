"""Parsers: bytes of one file -> a syntax tree or value tree with spans. No rules here."""
