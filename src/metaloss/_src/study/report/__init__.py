"""The report of ``metaloss reproduce``: a document, one module per section, one renderer.

``pipeline`` runs the sections in order; ``document`` holds what they produce;
``render`` writes it as Markdown and HTML.
"""
