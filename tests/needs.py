"""Tests that need a real service (PostgreSQL, Redis, Chromium) skip with the reason on a developer's machine and
**fail** under ``CI=true``: CI has every service, so a missing one there is a broken set-up, never a pass."""
from __future__ import annotations

import os
import socket

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(available: bool, reason: str) -> None:
    """Skip (locally) or fail (under CI=true) the calling test when ``available`` is false."""
    if available:
        return
    if under_ci():
        pytest.fail(f"CI=true and this test's service is missing: {reason}", pytrace=False)
    pytest.skip(reason)


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
