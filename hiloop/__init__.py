"""Hiloop: end-to-end encrypted human-in-the-loop for AI agents."""

from hiloop.components import Component, InvalidComponent, dump_components, is_interactive, parse_components

__version__ = "0.1.0"

__all__ = [
    "Component",
    "InvalidComponent",
    "__version__",
    "dump_components",
    "is_interactive",
    "parse_components",
]
