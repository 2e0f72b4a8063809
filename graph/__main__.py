"""``python -m cmqgraph`` runs the command line."""

from .cli import main

__all__: list[str] = []

main()
