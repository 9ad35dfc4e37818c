"""Use cases: the only layer that composes crypto, acme, dns and storage."""
