"""certdesk: a self-hosted certificate manager.

Create or import Certificate Signing Requests, turn them into publicly trusted certificates through
ACME DNS-01, and keep them renewed. Three faces (web UI, REST API, CLI) over one service layer.
"""

__version__ = "0.1.0"
