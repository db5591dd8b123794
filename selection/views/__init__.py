"""Researcher pages of the selection app, one module per concept."""
