"""The federation's towncrier configuration and changelog template (package data)."""
