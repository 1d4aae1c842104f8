"""Placeholder: filled in by the property-based phase work (issue 4)."""
