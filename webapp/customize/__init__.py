"""Doctypes users define (DocType rows, Custom Fields, Property Setters): the per-app registry they
make (registry_cache.py), their controllers (controllers.py) and the import of Frappe's doctype
JSON files and fixtures (importer.py)."""
