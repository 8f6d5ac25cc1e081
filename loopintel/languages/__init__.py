"""Source bytes to function spans: one module per language behind one small protocol.

Only Python is supported today (:mod:`loopintel.languages.python`).
"""

from __future__ import annotations

from loopintel.languages.layout import Facts, Hunk, Layout, Node, NodeKind, ParseOutcome, Span

__all__ = ["Facts", "Hunk", "Layout", "Node", "NodeKind", "ParseOutcome", "Span"]
