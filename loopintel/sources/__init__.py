"""Readers of data from outside git: coverage files."""
