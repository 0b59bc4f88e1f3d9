"""Proposing route changes for review: GitHub pull requests and their sticky plan comments."""
