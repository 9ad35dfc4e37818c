"""The pure crypto core: keys, CSRs, names, extensions, profiles, CA-policy lint (no I/O).

Modules: ``policy`` (the choice table with verdicts), ``names`` (SANs, emails, countries, CSR
names), ``extensions`` (requestable X.509 extensions and their rules), ``profiles`` (the two
HTTPS profiles), ``spec`` (``CSRRequest`` → ``validate_csr_request`` → ``CSRSpec``), ``keys``
(generate, load, serialise, describe), ``csr`` (build, load, key match), ``details`` (the Edit
CSR panel and ACME domain labels) and ``lint`` (what a public ACME CA would refuse).
Bad user input raises ``certdesk.errors.InvalidInput`` with field paths; programming misuse
raises ``ValueError`` or ``TypeError``. Nothing here reads files, the network, the environment,
the clock, or logs.
"""
