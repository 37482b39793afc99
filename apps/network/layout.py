"""A schematic layout of a network from its connections alone, for models without geometry.

networkx lays each connected part out: Kamada-Kawai (graph distances kept as drawn distances,
which keeps a tree-shaped heat network readable) for parts up to :data:`KAMADA_KAWAI_MAX`
nodes, the seeded Fruchterman-Reingold force layout above that (Kamada-Kawai's all-pairs
distances grow with the square of the size). The parts are then set side by side in rows, the
largest first. Same nodes and edges, same picture: nodes are sorted and the force layout is
seeded, so a model's map does not move between visits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import networkx as nx

#: Largest connected part laid out with Kamada-Kawai (about 1 s for 300 nodes here).
KAMADA_KAWAI_MAX = 300
#: Width of the box the whole layout is scaled into (schematic units; y points up).
WIDTH = 1000.0
SEED = 17


def _part_layout(graph: nx.Graph) -> dict[str, tuple[float, float]]:
    """Positions of one connected part, centred on 0,0, about 1 unit across per sqrt(node)."""
    n = graph.number_of_nodes()
    if n == 1:
        return {next(iter(graph.nodes)): (0.0, 0.0)}
    if n <= KAMADA_KAWAI_MAX:
        raw = nx.kamada_kawai_layout(graph, pos=nx.circular_layout(graph))
    else:
        raw = nx.spring_layout(graph, seed=SEED, iterations=100)
    xs = [p[0] for p in raw.values()]
    ys = [p[1] for p in raw.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    size = math.sqrt(n)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return {node: ((x - cx) / span * size, (y - cy) / span * size) for node, (x, y) in raw.items()}


def schematic_positions(
    nodes: Sequence[str], edges: Iterable[tuple[str, str]]
) -> dict[str, tuple[float, float]]:
    """x, y of every node in ``0..WIDTH`` (y up), from the edges between them."""
    graph = nx.Graph()
    graph.add_nodes_from(sorted(nodes))
    graph.add_edges_from(sorted((a, b) for a, b in edges if a in graph and b in graph))
    parts = sorted(
        (sorted(part) for part in nx.connected_components(graph)), key=lambda p: (-len(p), p[0])
    )
    laid_out = [_part_layout(graph.subgraph(part).copy()) for part in parts]
    # Shelf packing: parts left to right, a new row when the row is as wide as the largest part
    # allows (about square overall).
    sizes = [math.sqrt(len(part)) + 1.0 for part in parts]
    row_width = max(sum(sizes) ** 0.5 * max(sizes, default=1.0) ** 0.5, max(sizes, default=1.0))
    placed: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for positions, size in zip(laid_out, sizes, strict=True):
        if x > 0 and x + size > row_width * 1.001:
            x, y, row_height = 0.0, y - row_height, 0.0
        for node, (px, py) in positions.items():
            placed[node] = (x + size / 2 + px, y - size / 2 + py)
        x += size
        row_height = max(row_height, size)
    if not placed:
        return {}
    xs = [p[0] for p in placed.values()]
    ys = [p[1] for p in placed.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    scale = WIDTH * 0.9 / span
    return {
        node: (
            round((px - min(xs)) * scale + WIDTH * 0.05, 3),
            round((py - min(ys)) * scale + WIDTH * 0.05, 3),
        )
        for node, (px, py) in placed.items()
    }
