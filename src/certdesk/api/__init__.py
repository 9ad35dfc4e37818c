"""The REST API under ``/api/v1``: pydantic in, one service call, pydantic out."""
