"""ACME (RFC 8555) through certbot's ``acme`` library: accounts, orders, challenges, revocation."""
