"""Render the README's first picture, ``mobicampus.png``: the view of Mobicampus, its pôle and its project.

``make picture`` runs it after building the default graph (it needs Playwright and Chromium, see
``tests/install-system-deps.sh``)::

    python tools/readme_picture.py mobicampus.png [--store DIR] [--html FILE]

It writes the HTML view (:func:`cmqgraph.view.view`) beside the picture, takes its screenshot
(:func:`cmqgraph.view.screenshot`) and removes the HTML unless ``--html`` names where to keep it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cmqgraph.view import screenshot, view

__all__ = ["MOBICAMPUS", "SIZE", "readme_picture", "main"]

#: The view's filters: Mobicampus, the Pôle Véhicule du Futur and the TI « Transformation d'un territoire industriel ».
MOBICAMPUS = {"campus": "Mobicampus", "cluster": "Pôle Véhicule du Futur", "project": "Transformation d'un territoire industriel"}
#: Width and height of the picture, in pixels.
SIZE = (1100, 700)


def readme_picture(png: str | os.PathLike = "mobicampus.png", store: str | os.PathLike | None = None,
                   html_out: str | os.PathLike | None = None) -> Path:
    """Render the view of :data:`MOBICAMPUS` on the graph in ``store`` (default: the default store) as ``png``; return its path.

    The HTML view is written to ``html_out``, else beside ``png`` and removed once photographed.
    """
    png = Path(png)
    html_path = Path(html_out) if html_out else png.with_suffix(".html")
    view(store, out=html_path, **MOBICAMPUS)
    screenshot(html_path, png, size=SIZE)
    if html_out is None:
        html_path.unlink()
    return png


def main(argv: list[str] | None = None) -> None:
    """The command line: ``python tools/readme_picture.py [PNG] [--store DIR] [--html FILE]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("png", nargs="?", default="mobicampus.png", help="the picture to write (default: mobicampus.png)")
    parser.add_argument("--store", help="folder of the graph store (default: $CMQGRAPH_STORE, else the user data folder)")
    parser.add_argument("--html", help="also keep the HTML view in this file")
    args = parser.parse_args(argv)
    print(f"wrote {readme_picture(args.png, store=args.store, html_out=args.html)}")


if __name__ == "__main__":
    main()
