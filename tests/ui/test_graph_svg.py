"""The SVG graph layout: longest-path columns, edges around boxes, every label escaped."""

from __future__ import annotations

import itertools
import re

from pipelines.ui.graph_svg import (
    NODE_HEIGHT,
    NODE_WIDTH,
    GraphEdge,
    GraphNode,
    layers,
    positions,
    render_svg,
)


def _diamond_with_a_skip():
    nodes = [GraphNode(key, key) for key in ("source", "left", "right", "join", "late")]
    edges = [GraphEdge("source", "left"), GraphEdge("source", "right"), GraphEdge("left", "join"),
             GraphEdge("right", "join"), GraphEdge("join", "late"), GraphEdge("source", "late")]
    return nodes, edges


def test_columns_follow_the_longest_path():
    nodes, edges = _diamond_with_a_skip()
    assert layers(nodes, edges) == {"source": 0, "left": 1, "right": 1, "join": 2, "late": 3}
    cyclic = layers(nodes, [*edges, GraphEdge("late", "source")])  # a cycle is cut, not looped
    assert set(cyclic) == {node.key for node in nodes}


def test_an_edge_skipping_columns_never_runs_under_a_box():
    nodes, edges = _diamond_with_a_skip()
    placed = positions(nodes, edges)
    svg = render_svg(nodes, edges)
    skip = re.findall(r"<path class='edge' d='([^']+)'", svg)[edges.index(GraphEdge("source", "late"))]
    points = [tuple(map(float, p.split(","))) for p in re.findall(r"[-\d.]+,[-\d.]+", skip)]
    for (xa, ya), (xb, yb) in itertools.pairwise(points):
        for x, y in placed.values():
            inside_x = min(xa, xb) < x + NODE_WIDTH and max(xa, xb) > x
            inside_y = min(ya, yb) < y + NODE_HEIGHT and max(ya, yb) > y
            assert not (inside_x and inside_y), ((xa, ya), (xb, yb), (x, y))


def test_labels_and_links_are_escaped():
    svg = render_svg([GraphNode("k'1", "<b>x</b>", "a & b", href="/a?x=1&y='2'")], [])
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg and "a &amp; b" in svg
    assert "href='/a?x=1&amp;y=&#x27;2&#x27;'" in svg and "data-key='k&#x27;1'" in svg
    assert render_svg([], []) == ""


def test_edges_sharing_a_row_gap_run_side_by_side_not_on_top_of_each_other():
    nodes = [GraphNode(key, key) for key in ("a", "b", "m1", "m2", "end")]
    edges = [GraphEdge("a", "m1"), GraphEdge("m1", "m2"), GraphEdge("m2", "end"),
             GraphEdge("a", "end", "first"), GraphEdge("b", "end", "second")]
    svg = render_svg(nodes, edges)
    paths = re.findall(r"<path class='edge' d='([^']+)'", svg)
    lanes = [re.findall(r"L[-\d.]+,([-\d.]+)", path)[1] for path in paths if path.count("L") == 5]
    assert len(lanes) == 2 and 4 <= abs(float(lanes[0]) - float(lanes[1])) <= 6  # one gap, two tracks
