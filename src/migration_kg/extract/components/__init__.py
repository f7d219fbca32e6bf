"""spaCy components of the linguistic layer, one per file, registered by name on import."""

from . import layout_boundaries

__all__ = ["layout_boundaries"]
