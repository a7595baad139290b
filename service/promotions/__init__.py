"""Promotions: promotion cases, effective-dated role changes, succession."""
