"""Placeholder: the annotation models are written by their owner."""
