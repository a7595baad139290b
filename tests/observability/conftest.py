"""Fixtures of the observability tests."""

from __future__ import annotations

from tests.hardening.conftest import custom_app

__all__ = ["custom_app"]
