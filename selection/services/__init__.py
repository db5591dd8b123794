"""Writes of the selection app, one module per concept (datasets, selection runs, training, systems, scores)."""
