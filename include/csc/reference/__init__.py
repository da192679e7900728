"""Reference data about English local authorities that the project ships (no run-time dependency)."""
