"""Release coordination for the polymath federation (a development tool, never a dependency)."""
