"""Generators (planets with REBOUND, arithmetic), the JSON-lines format and the datamodule."""
