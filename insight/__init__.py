"""insight: community-listening notes into traceable evidence for mental health services."""

__version__ = "0.1.0"
