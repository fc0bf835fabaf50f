"""Directed graphs drawn as inline SVG: a layered left-to-right layout, no JavaScript needed.

Used for a run's pipeline graph (nodes are executions) and an artifact's lineage (artifacts and
executions). Every label is escaped here; the caller passes plain text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from html import escape

NODE_WIDTH, NODE_HEIGHT = 176, 54
COLUMN_GAP, ROW_GAP, MARGIN = 120, 26, 12
TOP = MARGIN + ROW_GAP  # the first row sits one row gap down: edges may run in the gap above it
STATUS_COLOURS = {
    "COMPLETE": "#cdeccd", "CACHED": "#d6e4fb", "FAILED": "#f8c9c9", "HALTED": "#ffd9a8",
    "RUNNING": "#fff1a8", "SKIPPED": "#e4e4e4", "PENDING": "#f6f6f6", "ARTIFACT": "#ffffff",
    "BLESSED": "#cdeccd", "PUSHED": "#a9dfb0", "NOT BLESSED": "#f4b7a4", "NOT PUSHED": "#e4e4e4",
}


@dataclasses.dataclass
class GraphNode:
    """A box in the graph.

    Attributes:
        key: Unique within the graph; edges refer to it.
        title: First line (e.g. the node id).
        subtitle: Second line (e.g. status and duration).
        status: Picks the fill colour (see STATUS_COLOURS).
        href: Where a click goes (optional).
        resolver: Drawn with a dashed border and rounded ends.
        data_id: Written as `data-id` for the page's script (e.g. an execution id).
    """

    key: str
    title: str
    subtitle: str = ""
    status: str = "COMPLETE"
    href: str | None = None
    resolver: bool = False
    data_id: str = ""
    highlight: bool = False


@dataclasses.dataclass
class GraphEdge:
    """An arrow from one node key to another, optionally labelled."""

    source: str
    target: str
    label: str = ""


def layers(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge]) -> dict[str, int]:
    """Each node's column: the length of the longest path reaching it (cycles are cut)."""
    keys = {node.key for node in nodes}
    incoming: dict[str, list[str]] = {key: [] for key in keys}
    for edge in edges:
        if edge.source in keys and edge.target in keys and edge.source != edge.target:
            incoming[edge.target].append(edge.source)
    column: dict[str, int] = {}

    def depth(key: str, visiting: frozenset[str]) -> int:
        if key not in column:
            parents = [p for p in incoming[key] if p not in visiting]
            column[key] = 1 + max((depth(p, visiting | {key}) for p in parents), default=-1)
        return column[key]

    for node in nodes:
        depth(node.key, frozenset())
    return column


def positions(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge]) -> dict[str, tuple[int, int]]:
    """Top-left corner of each node, columns by layer.

    Within a column, nodes sit near the average row of their parents (one barycentre pass,
    which removes most crossings).
    """
    column = layers(nodes, edges)
    parents: dict[str, list[str]] = {node.key: [] for node in nodes}
    for edge in edges:
        if edge.source in column and edge.target in parents:
            parents[edge.target].append(edge.source)
    row: dict[str, float] = {}
    placed = {}
    for col in sorted(set(column.values())):
        given = [node.key for node in nodes if column[node.key] == col]
        members = sorted(given, key=lambda key: _barycentre(parents[key], row, given.index(key)))
        for index, key in enumerate(members):
            row[key] = index
            placed[key] = (MARGIN + col * (NODE_WIDTH + COLUMN_GAP),
                           TOP + index * (NODE_HEIGHT + ROW_GAP))
    return placed


def _barycentre(parents: list[str], row: dict[str, float], fallback: int) -> tuple[float, int]:
    placed = [row[parent] for parent in parents if parent in row]
    return (sum(placed) / len(placed) if placed else float(fallback), fallback)


def render_svg(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], css_class: str = "graph") -> str:
    """The graph as one `<svg>` element (empty string for no nodes), edges labelled."""
    if not nodes:
        return ""
    placed = positions(nodes, edges)
    width = max(x for x, _ in placed.values()) + NODE_WIDTH + MARGIN
    height = max(y for _, y in placed.values()) + NODE_HEIGHT + MARGIN + ROW_GAP  # a lane below
    drawn = [edge for edge in edges if edge.source in placed and edge.target in placed]
    ends = _port_offsets(drawn, placed)
    points = [_endpoints(edge, placed, ends[index]) for index, edge in enumerate(drawn)]
    tracks = _tracks(points)
    arrows = "".join(_edge_svg(edge, points[i], tracks[i]) for i, edge in enumerate(drawn))
    boxes = "".join(_node_svg(node, *placed[node.key]) for node in nodes)
    marker = ("<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' "
              "markerHeight='7' orient='auto'><path d='M0,0 L10,5 L0,10 z' fill='#8a93a6'/>"
              "</marker></defs>")
    return (f"<svg class='{escape(css_class)}' width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' role='img'>{marker}{arrows}{boxes}</svg>")


def _port_offsets(edges: Sequence[GraphEdge], placed: dict[str, tuple[int, int]],
                  ) -> list[tuple[float, float]]:
    """Per edge, where it leaves its source and enters its target (y within the box).

    A node's outgoing edges leave at distinct heights, ordered by their targets' rows, and its
    incoming edges arrive likewise, so edges sharing a node do not run on top of each other.
    """
    outgoing: dict[str, list[int]] = {}
    incoming: dict[str, list[int]] = {}
    for index, edge in enumerate(edges):
        outgoing.setdefault(edge.source, []).append(index)
        incoming.setdefault(edge.target, []).append(index)
    leave = _spread(outgoing, lambda i: placed[edges[i].target][1])
    enter = _spread(incoming, lambda i: placed[edges[i].source][1])
    return [(leave[index], enter[index]) for index in range(len(edges))]


def _spread(groups: dict[str, list[int]], order: Callable[[int], int]) -> dict[int, float]:
    offsets = {}
    for members in groups.values():
        ranked = sorted(members, key=order)
        for rank, index in enumerate(ranked):
            offsets[index] = NODE_HEIGHT * (rank + 1) / (len(ranked) + 1)
    return offsets


Ends = tuple[float, float, float, float]  # x1, y1, x2, y2
TRACK_PITCH = 5  # px between edges sharing one row gap


def _endpoints(edge: GraphEdge, placed: dict[str, tuple[int, int]], ends: tuple[float, float]) -> Ends:
    sx, sy = placed[edge.source]
    tx, ty = placed[edge.target]
    x1, y1, x2, y2 = float(sx + NODE_WIDTH), sy + ends[0], float(tx), ty + ends[1]
    if x2 <= x1:  # same or earlier column: leave from the bottom, enter from the top
        return sx + NODE_WIDTH / 2, sy + NODE_HEIGHT, tx + NODE_WIDTH / 2, ty
    return x1, y1, x2, y2


def _is_lane(points: Ends) -> bool:
    """True for an edge that skips columns: it runs along a row gap, not under boxes."""
    return points[2] - points[0] > COLUMN_GAP


def _lane_y(y1: float, y2: float) -> float:
    """The row gap nearest the middle of an edge's two ends."""
    pitch = NODE_HEIGHT + ROW_GAP
    middle = (y1 + y2) / 2
    return TOP - ROW_GAP / 2 + pitch * max(round((middle - TOP + ROW_GAP / 2) / pitch), 0)


def _tracks(all_points: list[Ends]) -> list[float]:
    """Per edge, its offset from the middle of its row gap: edges sharing a gap run side by side."""
    sharing: dict[float, list[int]] = {}
    for index, points in enumerate(all_points):
        if _is_lane(points):
            sharing.setdefault(_lane_y(points[1], points[3]), []).append(index)
    offsets = [0.0] * len(all_points)
    for members in sharing.values():
        for rank, index in enumerate(members):
            offsets[index] = (rank - (len(members) - 1) / 2) * TRACK_PITCH
    return offsets


def _edge_svg(edge: GraphEdge, points: Ends, track: float) -> str:
    x1, y1, x2, y2 = points
    if _is_lane(points):
        path, label_x, label_y = _lane_path(points, track)
    else:
        bend = max(abs(x2 - x1) / 2, 20)
        path = (f"M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x2 - bend:.0f},{y2:.0f} "
                f"{x2:.0f},{y2:.0f}")
        label_x, label_y = (x1 + x2) / 2, (y1 + y2) / 2
    title = f"<title>{escape(edge.label)}</title>" if edge.label else ""
    label = (f"<text class='edge-label' x='{label_x:.0f}' y='{label_y - 3:.0f}' "
             f"text-anchor='middle'>{escape(_clip(edge.label, 20))}</text>") if edge.label else ""
    return (f"<g class='edge'><path class='edge' d='{path}' fill='none' stroke='#8a93a6' "
            f"stroke-width='1.4' stroke-linejoin='round' marker-end='url(#arrow)'>{title}</path>"
            f"{label}</g>")


def _lane_path(points: Ends, track: float) -> tuple[str, float, float]:
    """Out into the next column gap, along the row gap nearest the two ends, into the last gap.

    `track` shifts the run along the gap (and the turns in the column gaps), so edges sharing a
    gap do not lie on top of each other. Returns the path and where its label goes.
    """
    x1, y1, x2, y2 = points
    lane = _lane_y(y1, y2) + track
    out_x, in_x = x1 + COLUMN_GAP / 2 + track, x2 - COLUMN_GAP / 2 - track
    return (f"M{x1:.0f},{y1:.0f} L{out_x:.0f},{y1:.0f} L{out_x:.0f},{lane:.0f} "
            f"L{in_x:.0f},{lane:.0f} L{in_x:.0f},{y2:.0f} L{x2:.0f},{y2:.0f}",
            (out_x + in_x) / 2 + track * 16, lane + 4)


def _node_svg(node: GraphNode, x: int, y: int) -> str:
    fill = STATUS_COLOURS.get(node.status, "#eeeeee")
    radius = NODE_HEIGHT // 2 if node.resolver else 6
    dash = " stroke-dasharray='5 3'" if node.resolver else ""
    stroke = "#1d2433" if node.highlight else "#5b6478"
    kind = "resolver" if node.resolver else "node"
    shape = (f"<rect x='{x}' y='{y}' width='{NODE_WIDTH}' height='{NODE_HEIGHT}' rx='{radius}' "
             f"fill='{fill}' stroke='{stroke}' stroke-width='{2.5 if node.highlight else 1.2}'{dash}/>")
    text = (f"<text x='{x + NODE_WIDTH / 2:.0f}' y='{y + 22}' text-anchor='middle' "
            f"class='title'>{escape(_clip(node.title))}</text>"
            f"<text x='{x + NODE_WIDTH / 2:.0f}' y='{y + 40}' text-anchor='middle' "
            f"class='sub'>{escape(_clip(node.subtitle, 30))}</text>")
    body = (f"<g class='{kind} status-{escape(status_class(node.status))}' data-key='{escape(node.key)}' "
            f"data-id='{escape(node.data_id)}' tabindex='0'><title>{escape(node.title)}</title>"
            f"{shape}{text}</g>")
    if node.href:
        return f"<a href='{escape(node.href)}'>{body}</a>"
    return body


def status_class(status: str) -> str:
    """The CSS class suffix of a status: `NOT BLESSED` -> `not-blessed`."""
    return status.lower().replace(" ", "-")


def _clip(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
