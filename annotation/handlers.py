"""Imports every annotation module that registers job handlers."""
from annotation import demo  # noqa: F401
