"""Doctypes as data: declarations (meta.py, builtin.py, server_script.py, email_queue.py,
customize.py) and the rows users define (build.py), looked up through the registry (registry.py).
Importing the package imports nothing: the script host uses meta.py alone."""
