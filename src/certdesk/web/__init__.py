"""The server-rendered web UI (Jinja2) on the service layer."""
