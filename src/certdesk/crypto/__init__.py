"""The pure crypto core: keys, CSRs, names, extensions, profiles, CA-policy lint (no I/O)."""
