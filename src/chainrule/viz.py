"""Draw the computational graph behind a tensor as Graphviz DOT source.

``draw_graph(loss)`` walks ``loss.grad_fn`` and its ``next_functions`` back to the leaves and
returns DOT text: one box per backward node, named by ``grad_fn.name()`` (``MatmulBackward0``,
``ReluBackward0``, ...) with the shape and dtype of each array it saved for the backward pass,
and one blue box per leaf (a tensor that requires grad), labelled with its name, when
``params`` gives one, its shape and dtype. Edges point the way the forward pass ran,
from the inputs to the result. Graphviz is not needed to build the text; where its ``dot``
program is on PATH, ``draw_graph(..., path=...)`` and ``render`` also draw it as SVG and PNG.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["draw_graph", "render", "graphviz_available"]


def _quote(text: str) -> str:
    text = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + text + '"'


def _shape(t) -> str:
    return str(tuple(int(s) for s in t.shape))


def _meta(t) -> str:
    """Shape and dtype, e.g. ``(128, 256) float32``."""
    return f"{_shape(t)} {t.dtype}"


def _node_label(node) -> str:
    """The backward node's name and the arrays it saved for the backward pass (shape, dtype),
    or a note that they were freed by an earlier backward."""
    label = node.name()
    saved = getattr(node, "saved", ())
    if saved is None:
        return label + "\n(saved values freed)"
    arrays = [s for s in saved if hasattr(s, "shape") and hasattr(s, "dtype")
              and getattr(s, "ndim", 0) > 0]
    for a in arrays:
        label += f"\nsaved {_meta(a._data if hasattr(a, '_data') else a)}"
    return label


def draw_graph(tensor, params: Mapping | Iterable | None = None, *, path=None,
               formats: Iterable[str] = ("svg", "png")) -> str:
    """Return the DOT source of the graph that computed ``tensor``.

    ``params`` names the leaves: a mapping ``{name: tensor}`` or an iterable of ``(name,
    tensor)`` pairs, such as ``model.named_parameters()``. With ``path`` (``"out/graph"`` or
    ``"out/graph.dot"``) the source is also written to ``path.dot`` and, only when Graphviz's
    ``dot`` is on PATH, rendered next to it in each of ``formats``.
    """
    if params is None:
        names = {}
    else:
        items = params.items() if isinstance(params, Mapping) else params
        names = {id(t): name for name, t in items}

    lines = [
        "digraph chainrule {",
        '  graph [rankdir=TB, fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#eeeeee", fontname="Helvetica",'
        ' fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    root = getattr(tensor, "grad_fn", None)
    out_label = f"output {_meta(tensor)}"
    lines.append(f'  out [label={_quote(out_label)}, fillcolor="#c8e6c9"];')
    if root is None:
        if getattr(tensor, "requires_grad", False):  # a leaf: the graph is the tensor itself
            label = f"{names.get(id(tensor), 'leaf')}\n{_meta(tensor)}"
            lines.append(f'  leaf [label={_quote(label)}, fillcolor="#bbdefb"];')
            lines.append("  leaf -> out;")
        lines.append("}")
        return "\n".join(lines) + "\n"

    ids: dict[int, str] = {}
    keep = []  # holds the nodes while we walk, so that no id() is reused

    def node_id(node) -> tuple[str, bool]:
        key = id(node)
        if key in ids:
            return ids[key], False
        ids[key] = f"n{len(ids)}"
        keep.append(node)
        return ids[key], True

    rid, _ = node_id(root)
    stack = [root]
    edges = [f"  {rid} -> out;"]
    while stack:
        node = stack.pop()
        nid = ids[id(node)]
        variable = getattr(node, "variable", None)  # AccumulateGrad: the node at a leaf
        if variable is not None:
            label = f"{names.get(id(variable), 'leaf')}\n{_meta(variable)}"
            lines.append(f'  {nid} [label={_quote(label)}, fillcolor="#bbdefb"];')
            continue
        lines.append(f"  {nid} [label={_quote(_node_label(node))}];")
        for nxt, _index in node.next_functions:
            if nxt is None:
                continue
            child, new = node_id(nxt)
            edges.append(f"  {child} -> {nid};")
            if new:
                stack.append(nxt)
    lines.extend(edges)
    lines.append("}")
    source = "\n".join(lines) + "\n"

    if path is not None:
        stem = Path(path)
        if stem.suffix == ".dot":
            stem = stem.with_suffix("")
        stem.parent.mkdir(parents=True, exist_ok=True)
        stem.with_suffix(".dot").write_text(source)
        render(source, stem, formats=formats)
    return source


def graphviz_available() -> bool:
    """Whether Graphviz's ``dot`` program is on PATH."""
    return shutil.which("dot") is not None


def render(source: str, path, formats: Iterable[str] = ("svg", "png")) -> list[Path]:
    """Render DOT ``source`` to ``path.<format>`` with Graphviz's ``dot``; returns the files
    written, or an empty list when ``dot`` is not on PATH (install Graphviz, for example
    ``apt-get install graphviz`` or ``brew install graphviz``)."""
    dot = shutil.which("dot")
    if dot is None:
        return []
    stem = Path(path)
    if stem.suffix == ".dot":
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = stem.with_suffix("." + fmt)
        subprocess.run([dot, "-T" + fmt, "-o", str(target)], input=source.encode(),
                       check=True, capture_output=True, timeout=60)
        written.append(target)
    return written
