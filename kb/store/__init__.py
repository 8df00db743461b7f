"""The store: the database and the read-only catalogue built from it."""
