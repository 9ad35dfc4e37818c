"""The ``certdesk`` command line (Typer)."""
