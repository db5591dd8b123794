"""Imports every annotation module that registers job handlers."""
