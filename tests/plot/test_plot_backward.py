"""gradlab.plot.backward_steps / watch_backward: the graph stepped through in the engine's order."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import gradlab
from gradlab import plot
from gradlab.plot.svg import CHAR_WIDTH

SVG = "{http://www.w3.org/2000/svg}"
# What PyTorch 2.13's engine does for y = (w * x + b) * w with x = 3, w = 4, b = 5 (recorded with
# node hooks): the node that runs, the gradient it receives, what it passes on.
ENGINE_ORDER = [
    ("output", 1.0, [1.0]),
    ("MulBackward0", 1.0, [4.0, 17.0]),
    ("AddBackward0", 4.0, [4.0, 4.0]),
    ("AccumulateGrad", 4.0, []),  # b: ready first, and AccumulateGrad runs as soon as ready
    ("MulBackward0", 4.0, [12.0]),  # x needs no gradient: one edge only
    ("AccumulateGrad", 29.0, []),  # w: 17 + 12
]


def reused_weight(torch):
    """y = (w * x + b) * w: w is used twice, so its gradient arrives along two paths."""
    x = torch.tensor(3.0)
    w = torch.tensor(4.0, requires_grad=True)
    b = torch.tensor(5.0, requires_grad=True)
    return (w * x + b) * w, w, b


def summary(graph, steps):
    return [(graph.nodes[s.node].name, float(s.received),
             [float(g) for g in s.passed.values()]) for s in steps]


@pytest.fixture
def reused():
    return reused_weight(gradlab)


def test_trace_follows_the_engine_order_with_the_gradients_passed(reused):
    y, w, b = reused
    graph, steps = plot.trace_backward(y, names={"w": w, "b": b})
    assert summary(graph, steps) == ENGINE_ORDER
    leaves = [graph.nodes[s.node].label for s in steps if graph.nodes[s.node].kind == "leaf"]
    assert leaves == ["b", "w"]


@pytest.mark.parity
def test_trace_matches_pytorch_engine(torch):
    y, w, b = reused_weight(torch)
    graph, steps = plot.trace_backward(y)
    assert summary(graph, steps) == ENGINE_ORDER


def test_trace_changes_nothing_the_learner_owns(reused):
    y, w, b = reused
    w.grad = gradlab.tensor(1.0)
    kept = w.grad
    plot.trace_backward(y)
    assert w.grad is kept and w.grad.item() == 1.0 and b.grad is None
    y.backward()  # the graph is still there, and no hook of the trace runs again
    assert w.grad.item() == 30.0 and b.grad.item() == 4.0


def test_trace_after_backward_explains_the_freed_graph(reused):
    y, w, b = reused
    y.backward()
    with pytest.raises(RuntimeError, match="second time(.|\n)*call it before .backward()"):
        plot.backward_steps(y)


def test_trace_of_a_non_scalar_output_uses_the_given_gradient():
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    graph, steps = plot.trace_backward(y, gradient=gradlab.tensor([1.0, 10.0]))
    np.testing.assert_allclose(steps[0].received, [1.0, 10.0])
    np.testing.assert_allclose(steps[-1].received, [2.0, 40.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        plot.trace_backward(y)


def test_a_tensor_without_graph_has_nothing_to_watch():
    with pytest.raises(RuntimeError, match="does not require grad"):
        plot.backward_steps(gradlab.tensor(2.0))


def states(frame):
    root = ET.fromstring(frame.svg)
    nodes = {int(g.get("data-id")): g.get("data-state")
             for g in root.findall(f".//{SVG}g[@class='node']")}
    labels = [g.find(f"{SVG}text").text for g in root.findall(f".//{SVG}g[@class='edge-label']")]
    caption = root.find(f".//{SVG}text[@class='caption']").text
    return nodes, labels, caption


def test_frames_highlight_each_node_in_turn_and_write_gradients_on_edges(reused):
    y, w, b = reused
    frames = plot.backward_steps(y, names={"w": w, "b": b, "y": y})
    assert len(frames) == len(ENGINE_ORDER) + 1  # one per step, and the result
    for k, frame in enumerate(frames[:-1]):
        nodes, _, _ = states(frame)
        active = [i for i, state in nodes.items() if state == "active"]
        assert active == [frames.steps[k].node]
        assert sum(state == "done" for state in nodes.values()) == k
    _, labels, caption = states(frames[1])
    assert caption == "MulBackward0 gets 1., passes 4. to AddBackward0, 17. to w"
    assert sorted(labels) == ["1.", "17.", "4."]
    nodes, labels, caption = states(frames[-1])
    assert caption == "done: w.grad = 29., b.grad = 4."
    assert set(nodes.values()) == {"done"} and len(labels) == 6
    assert len({ET.fromstring(f.svg).get("width") for f in frames}) == 1, "frames keep one size"


def test_leaf_boxes_show_the_grad_once_backward_reached_them(reused):
    y, w, b = reused
    frames = plot.backward_steps(y, names={"w": w, "b": b})
    texts = [frame.svg for frame in frames]
    assert [("grad 29." in t, "grad 4." in t) for t in texts] == [
        (False, False), (False, False), (False, False), (False, True), (False, True),
        (True, True), (True, True)]


def test_frames_display_as_a_player_holding_every_frame(reused):
    frames = plot.backward_steps(reused[0])
    html = frames._repr_html_()
    assert html.count("<svg") == len(frames)
    assert html.count('style="display:block"') == 1  # without JavaScript the first one shows
    assert 'type="range" min="0" max="6"' in html


def test_watch_backward_widget_shows_the_frame_the_slider_picks(reused):
    import ipywidgets

    widget = plot.watch_backward(reused[0])
    assert isinstance(widget, ipywidgets.Widget)
    (controls, view) = widget.children
    play, slider = controls.children
    assert view.value == widget.frames[0].svg
    slider.value = 3
    assert view.value == widget.frames[3].svg
    assert slider.max == play.max == len(widget.frames) - 1


def test_every_box_fits_the_longest_text_any_frame_shows():
    params = gradlab.tensor([1.0, 0.0], requires_grad=True)
    t_u = gradlab.tensor([35.7, 55.9, 58.2, 81.9, 56.3])
    t_c = gradlab.tensor([0.5, 14.0, 15.0, 28.0, 11.0])
    loss = ((params[0] * t_u + params[1] - t_c) ** 2).mean()
    frames = plot.backward_steps(loss, names={"params": params})
    assert "grad None" in frames[0].svg and "grad [" in frames[-1].svg
    for frame in frames:
        for group in ET.fromstring(frame.svg).findall(f".//{SVG}g[@class='node']"):
            width = float(group.find(f"{SVG}rect").get("width"))
            longest = max(len(t.text) for t in group.findall(f"{SVG}text"))
            assert width >= longest * CHAR_WIDTH


def test_gradients_on_edges_have_the_shape_of_the_input_they_go_to():
    x = gradlab.ones(2, 3, requires_grad=True)
    b = gradlab.ones(3, requires_grad=True)
    graph, steps = plot.trace_backward((x + b).sum(), names={"x": x, "b": b})
    (add,) = [s for s in steps if graph.nodes[s.node].name == "AddBackward0"]
    shapes = {graph.nodes[graph.edges[i].target].label: g.shape for i, g in add.passed.items()}
    assert shapes == {"x": (2, 3), "b": (3,)}  # what PyTorch 2.13's hooks see
