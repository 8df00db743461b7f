"""Services over content, store and search: indexing, recommending, tagging, scaffolding, checks."""
