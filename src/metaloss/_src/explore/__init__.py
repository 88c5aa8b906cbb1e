"""``metaloss explore``: the landscape in a browser.

A local web page over a small JSON API: views of the landscape recomputed on demand
by the grid engine (:mod:`.session`), request checks and limits (:mod:`.requests`),
the wire formats (:mod:`.encode`) and the Starlette app (:mod:`.server`). The page
itself is static HTML and JavaScript in ``static/``, with no build step and nothing
fetched from the network. :mod:`.widget` shows the same page in a Jupyter notebook
(imported by ``metaloss.explore`` only, so the command line does not load anywidget).
"""

from metaloss._src.explore.server import create_app, serve
from metaloss._src.explore.session import Explorer, Superseded, View

__all__ = ["Explorer", "Superseded", "View", "create_app", "serve"]
