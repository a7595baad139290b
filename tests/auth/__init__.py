"""Tests for identity and access."""
