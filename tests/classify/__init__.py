"""Tests for insight.classify: backends contract, TagModel, BYO data, safeguarding."""
