"""gradlab.plot.draw_graph / to_dot: the drawn graph is exactly the grad_fn graph."""

import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

import gradlab
from gradlab import plot

SVG = "{http://www.w3.org/2000/svg}"
T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]
# The nodes PyTorch 2.13 creates for the thermometer loss, in breadth-first order from the output.
THERMOMETER_NAMES = ["MeanBackward0", "PowBackward0", "SubBackward0", "AddBackward0",
                     "MulBackward0", "SelectBackward0", "SelectBackward0", "AccumulateGrad"]


def linear(torch):
    """Notebook 01's graph: y = w * x + b with x = 3, w = 4, b = 5."""
    x = torch.tensor(3.0)
    w = torch.tensor(4.0, requires_grad=True)
    b = torch.tensor(5.0, requires_grad=True)
    return w * x + b, w, b


def thermometer(torch):
    """Notebook 03's loss: params = [w, b] indexed inside the model, mean squared error."""
    params = torch.tensor([1.0, 0.0], requires_grad=True)
    t_u, t_c = torch.tensor(T_U), torch.tensor(T_C)
    return ((params[0] * t_u + params[1] - t_c) ** 2).mean(), params


def walk(tensor):
    """The grad_fn graph, independently of gradlab.plot: nodes by identity, edges as id pairs."""
    nodes, edges, todo = {}, [], [tensor.grad_fn]
    nodes[id(tensor.grad_fn)] = tensor.grad_fn
    while todo:
        node = todo.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            edges.append((id(node), id(child)))
            if id(child) not in nodes:
                nodes[id(child)] = child
                todo.append(child)
    return nodes, edges


def parse(drawing):
    root = ET.fromstring(drawing.svg)
    nodes = root.findall(f".//{SVG}g[@class='node']")
    edges = root.findall(f".//{SVG}path[@class='edge']")
    return nodes, edges


@pytest.fixture
def linear_graph():
    return linear(gradlab)


@pytest.fixture
def square_of_a_leaf():
    """x * x: the same AccumulateGrad is reached twice from one node."""
    x = gradlab.tensor(3.0, requires_grad=True)
    return x * x, x


@pytest.mark.parametrize("scenario", ["linear", "thermometer", "square", "mlp"])
def test_build_graph_nodes_and_edges_equal_the_grad_fn_graph(scenario):
    if scenario == "linear":
        out = linear(gradlab)[0]
    elif scenario == "thermometer":
        out = thermometer(gradlab)[0]
    elif scenario == "square":
        x = gradlab.tensor([1.0, 2.0], requires_grad=True)
        out = (x * x).sum()
    else:
        gradlab.manual_seed(0)
        w1 = gradlab.randn(3, 4, requires_grad=True)
        w2 = gradlab.randn(4, 1, requires_grad=True)
        out = (gradlab.relu(gradlab.randn(5, 3) @ w1) @ w2).pow(2).mean()
    graph = plot.build_graph(out)
    expected_nodes, expected_edges = walk(out)
    drawn = {id(n.ref): n for n in graph.nodes[1:]}
    assert drawn.keys() == expected_nodes.keys()
    assert all(n.name == expected_nodes[key].name().split("::")[-1] for key, n in drawn.items())
    drawn_edges = Counter((id(graph.nodes[e.source].ref), id(graph.nodes[e.target].ref))
                          for e in graph.edges[1:])
    assert drawn_edges == Counter(expected_edges)
    assert graph.edges[0].source == 0 and graph.nodes[graph.edges[0].target].ref is out.grad_fn


def test_thermometer_graph_has_the_nodes_pytorch_makes():
    loss, params = thermometer(gradlab)
    graph = plot.build_graph(loss, names={"params": params})
    assert [n.name for n in graph.nodes[1:]] == THERMOMETER_NAMES
    (leaf,) = [n for n in graph.nodes if n.kind == "leaf"]
    assert leaf.label == "params" and leaf.ref.variable is params


@pytest.mark.parity
def test_thermometer_graph_matches_pytorch_node_for_node(torch):
    mine = [n.name for n in plot.build_graph(thermometer(gradlab)[0]).nodes]
    theirs = [n.name for n in plot.build_graph(thermometer(torch)[0]).nodes]
    assert mine == theirs


def test_svg_has_one_box_per_node_and_one_arrow_per_edge(linear_graph):
    y, w, b = linear_graph
    drawing = plot.draw_graph(y, names={"w": w, "b": b})
    nodes, edges = parse(drawing)
    graph = drawing.graph
    assert [n.get("data-name") for n in nodes] == [n.name for n in graph.nodes]
    assert [n.get("data-name") for n in nodes] == ["output", "AddBackward0", "MulBackward0",
                                                   "AccumulateGrad", "AccumulateGrad"]
    assert [(int(e.get("data-source")), int(e.get("data-target"))) for e in edges] == [
        (e.source, e.target) for e in graph.edges]
    assert drawing._repr_svg_() == drawing.svg


def test_svg_layers_put_the_output_on_top_and_the_leaves_at_the_bottom():
    out = thermometer(gradlab)[0]
    drawing = plot.draw_graph(out)
    y = drawing.layout.y
    kinds = {n.id: n.kind for n in drawing.graph.nodes}
    leaves = [y[i] for i, kind in kinds.items() if kind == "leaf"]
    assert y[0] == min(y.values())
    assert min(leaves) == max(y.values())
    assert all(y[e.target] > y[e.source] for e in drawing.graph.edges)


def test_boxes_of_one_layer_do_not_overlap():
    gradlab.manual_seed(0)
    a, b, c = (gradlab.randn(2, requires_grad=True) for _ in range(3))
    out = (a * b + b * c + a.exp() + c.sin()).sum()
    drawing = plot.draw_graph(out)
    rows = {}
    for n in drawing.graph.nodes:
        rows.setdefault(drawing.layout.y[n.id], []).append(n.id)
    for row in rows.values():
        spans = sorted((drawing.layout.x[i] - drawing.sizes[i][0] / 2,
                        drawing.layout.x[i] + drawing.sizes[i][0] / 2) for i in row)
        assert all(left[1] <= right[0] for left, right in zip(spans, spans[1:]))


def test_leaves_show_values_and_after_backward_their_grad(linear_graph):
    y, w, b = linear_graph
    before = plot.build_graph(y, names={"w": w, "b": b})
    leaves = {n.label: n.lines for n in before.nodes if n.kind == "leaf"}
    assert leaves == {"w": ["4.", "grad None"], "b": ["5.", "grad None"]}
    assert before.nodes[0].lines == ["17."]
    y.backward()
    after = plot.build_graph(y, names={"w": w, "b": b})
    assert {n.label: n.lines for n in after.nodes if n.kind == "leaf"} == {
        "w": ["4.", "grad 3."], "b": ["5.", "grad 1."]}
    hidden = plot.build_graph(y, show_grad=False)
    assert sorted(n.lines for n in hidden.nodes if n.kind == "leaf") == [["4."], ["5."]]


def test_large_leaves_show_their_shape_instead_of_values():
    w = gradlab.zeros(3, 4, requires_grad=True)
    drawing = plot.draw_graph(w.sum())
    (leaf,) = [n for n in drawing.graph.nodes if n.kind == "leaf"]
    assert leaf.lines == ["shape (3, 4)", "grad None"]
    assert "shape (3, 4)" in drawing.svg


def test_a_node_reached_twice_is_drawn_once_with_two_arrows(square_of_a_leaf):
    y, x = square_of_a_leaf
    drawing = plot.draw_graph(y, names={"x": x})
    nodes, edges = parse(drawing)
    assert [n.get("data-name") for n in nodes] == ["output", "MulBackward0", "AccumulateGrad"]
    assert [(e.get("data-source"), e.get("data-target")) for e in edges] == [
        ("0", "1"), ("1", "2"), ("1", "2")]
    assert len({e.get("d") for e in edges}) == 3, "the two arrows to x are drawn apart"


def test_named_intermediate_tensors_show_their_value_on_their_node(linear_graph):
    x = gradlab.tensor(2.0, requires_grad=True)
    h = x * 3
    h.retain_grad()
    out = h + 1
    out.backward()
    graph = plot.build_graph(out, names={"h": h, "x": x})
    (mul,) = [n for n in graph.nodes if n.name == "MulBackward0"]
    assert mul.label == "h" and mul.lines == ["6.", "grad 1."]


def test_a_tensor_without_history_draws_as_a_single_box():
    drawing = plot.draw_graph(gradlab.tensor([1.0, 2.0]))
    nodes, edges = parse(drawing)
    assert len(nodes) == 1 and edges == []
    assert drawing.graph.nodes[0].lines[-1] == "requires_grad=False: no graph"


def test_drawing_does_not_change_the_tensors(linear_graph):
    y, w, b = linear_graph
    plot.draw_graph(y, names={"w": w})
    assert w.grad is None and w.is_leaf and y.grad_fn.name() == "AddBackward0"
    y.backward()
    assert w.grad.item() == 3.0


def test_save_writes_the_svg(linear_graph, tmp_path):
    drawing = plot.draw_graph(linear_graph[0])
    path = drawing.save(tmp_path / "graph.svg")
    assert path.read_text() == drawing.svg


def test_to_dot_lists_every_node_and_edge(linear_graph):
    y, w, b = linear_graph
    dot = plot.to_dot(y, names={"w": w, "b": b})
    assert dot.startswith("digraph autograd {") and dot.rstrip().endswith("}")
    assert 'n1 [label="AddBackward0"' in dot
    assert 'n4 [label="w\\nAccumulateGrad\\n4.\\ngrad None"' in dot  # breadth first: b is n3
    graph = plot.build_graph(y)
    assert [line.strip() for line in dot.splitlines() if "->" in line] == [
        f"n{e.source} -> n{e.target};" for e in graph.edges]
    assert "{ rank=sink; n3; n4; }" in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz binary")
def test_to_dot_is_valid_graphviz():
    dot = plot.to_dot(thermometer(gradlab)[0])
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True)
    assert svg.stdout.count('class="node"') == len(THERMOMETER_NAMES) + 1


def test_to_axes_draws_the_same_boxes_and_arrows_with_matplotlib(linear_graph):
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    plt.switch_backend("Agg")
    y, w, b = linear_graph
    drawing = plot.draw_graph(y, names={"w": w, "b": b})
    ax = drawing.to_axes()
    try:
        boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
        arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
        assert len(boxes) == len(drawing.graph.nodes) and len(arrows) == len(drawing.graph.edges)
        texts = [t.get_text() for t in ax.texts]
        assert texts.count("AccumulateGrad") == 2 and "AddBackward0" in texts and "w" in texts
        x, y_ = (drawing.layout.x[0], drawing.layout.y[0])
        assert boxes[0].contains_point(ax.transData.transform((x, y_)))
    finally:
        plt.close(ax.figure)
