"""DNS-01: the authenticator registry, RFC 2136, shell hook, acme-dns, lexicon providers, and the
propagation checker."""
