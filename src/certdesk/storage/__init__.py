"""Persistence: SQLAlchemy models and repositories, Alembic migrations, secrets at rest, files.

``db`` (the ``Database``: engine, sessions as transactions, migrations on start), ``models`` (every
table), ``migrations/`` (Alembic, shipped in the package), ``secrets`` (``SecretBox``, the key
file, ``rotate_secrets``), ``files`` (``CertificateFiles``: the ``.csr/.key/.crt`` files services
read), and one repository module per kind of row (``csrs``, ``certificates``, ``accounts``,
``authenticators``, ``jobs``, ``users``). Repositories return frozen records and raise
``NotFound`` / ``Conflict``; any database failure surfaces as ``StorageError``.
"""
