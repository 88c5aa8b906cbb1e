"""``metaloss explore``: the landscape in a browser.

A local web page over a small JSON API: views of the landscape recomputed on demand
by the grid engine (:mod:`.session`), request checks and limits (:mod:`.requests`),
the wire formats (:mod:`.encode`) and the Starlette app (:mod:`.server`). The page
itself is static HTML and JavaScript in ``static/``, with no build step and nothing
fetched from the network.
"""

from metaloss._src.explore import (
    Explorer,
    Superseded,
    View,
    create_app,
    serve,
)
from metaloss._src.explore.widget import ExplorerWidget  # loads anywidget: not for the CLI

__all__ = [
    "Explorer",
    "ExplorerWidget",
    "Superseded",
    "View",
    "create_app",
    "serve",
]
