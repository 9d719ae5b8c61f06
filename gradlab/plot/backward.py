"""Watching ``backward()`` run: the graph drawn once per node, in the order the engine runs them.

The trace runs the real engine (``tensor.backward(gradient, retain_graph=True)``) with a hook on
every node, so the order and the gradients shown are exactly what the engine does. The leaves'
``.grad`` are put back afterwards and the hooks removed: tracing changes nothing the learner owns.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from gradlab.plot._convert import to_numpy
from gradlab.plot._pictures import animated_png, show_with_picture
from gradlab.plot.graph import AutogradGraph, build_graph, format_values, node_text
from gradlab.plot.svg import CHAR_WIDTH, GraphDrawing, Highlight, box_size
from gradlab.plot.widgets import picture_box

if TYPE_CHECKING:
    import ipywidgets

__all__ = ["BackwardStep", "BackwardSteps", "trace_backward", "backward_steps", "watch_backward"]

GRAPH_FREED_ADVICE = (
    "backward_steps runs backward on the graph, so call it before .backward(), "
    "or call .backward(retain_graph=True)."
)


@dataclasses.dataclass
class BackwardStep:
    """One node running: the gradient it received and what it sent along each outgoing edge."""

    node: int  # graph node id; 0 is the output, where backward() starts
    received: np.ndarray
    passed: dict[int, np.ndarray]  # edge index -> gradient sent along that edge


def _record_hooks(graph: AutogradGraph, log: list) -> list[Any]:
    handles = []
    for node in graph.nodes[1:]:
        def hook(grad_inputs: tuple, grad_outputs: tuple, _id: int = node.id) -> None:
            log.append((_id, grad_inputs, grad_outputs))

        handles.append(node.ref.register_hook(hook))
    return handles


def trace_backward(
    tensor: Any, gradient: Any = None, *, names: Mapping[str, Any] | None = None
) -> tuple[AutogradGraph, list[BackwardStep]]:
    """Run backward on ``tensor``'s graph and record every node, in the engine's order."""
    graph = build_graph(tensor, show_grad=True, names=names)
    if len(graph.nodes) == 1:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                           "grad_fn\nThere is no graph to watch: make a leaf with "
                           "requires_grad=True and compute the output from it.")
    leaves = [node.ref.variable for node in graph.nodes if node.kind == "leaf"]
    saved = [leaf.grad for leaf in leaves]
    log: list[tuple[int, tuple, tuple]] = []
    handles = _record_hooks(graph, log)
    try:
        for leaf in leaves:
            leaf.grad = None
        tensor.backward(gradient, retain_graph=True)
    except RuntimeError as err:
        if "second time" in str(err):
            raise RuntimeError(f"{err}\n{GRAPH_FREED_ADVICE}") from err
        raise
    finally:
        for handle in handles:
            handle.remove()
        for leaf, grad in zip(leaves, saved, strict=True):
            leaf.grad = grad

    seed = np.ones(np.shape(to_numpy(tensor))) if gradient is None else to_numpy(gradient)
    steps = [BackwardStep(0, seed, {0: seed})]
    out_edges: dict[int, list[int]] = {}
    for i, edge in enumerate(graph.edges):
        out_edges.setdefault(edge.source, []).append(i)
    for node_id, grad_inputs, grad_outputs in log:
        received = sum(to_numpy(g) for g in grad_outputs if g is not None)
        passed = {}
        for i in out_edges.get(node_id, []):
            grad = grad_inputs[graph.edges[i].input_nr]
            if grad is not None:
                passed[i] = to_numpy(grad)
        steps.append(BackwardStep(node_id, np.asarray(received, dtype=float), passed))
    return graph, steps


def _who(graph: AutogradGraph, node_id: int) -> str:
    node = graph.nodes[node_id]
    return node.label or node.name


def _caption(graph: AutogradGraph, step: BackwardStep) -> str:
    node = graph.nodes[step.node]
    if step.node == 0:
        return f"backward() starts at {node.label or 'the output'} with gradient " \
               f"{format_values(step.received)}"
    if node.kind == "leaf":
        return f"AccumulateGrad adds {format_values(step.received)} to " \
               f"{node.label or 'the leaf'}.grad"
    sent = ", ".join(f"{format_values(g)} to {_who(graph, graph.edges[i].target)}"
                     for i, g in step.passed.items())
    return f"{node.name} gets {format_values(step.received)}, passes {sent or 'nothing'}"


def _leaf_grads(graph: AutogradGraph, steps: list[BackwardStep], upto: int) -> dict:
    """Each leaf's ``.grad`` once the first ``upto + 1`` steps ran (what it had, plus theirs)."""
    grads = {}
    for node in graph.nodes:
        if node.kind == "leaf":
            grad = node.ref.variable.grad
            grads[node.id] = None if grad is None else to_numpy(grad)
    for step in steps[: upto + 1]:
        if step.node in grads:
            old = grads[step.node]
            grads[step.node] = step.received if old is None else old + step.received
    return grads


def _leaf_lines(graph: AutogradGraph, grads: dict) -> dict[int, list[str]]:
    return {i: [format_values(graph.nodes[i].ref.variable),
                "grad " + ("None" if g is None else format_values(g))] for i, g in grads.items()}


class BackwardSteps(list):
    """The frames of a backward pass (``GraphDrawing`` each); shows as a step-through player."""

    def __init__(self, frames: list[GraphDrawing], graph: AutogradGraph,
                 steps: list[BackwardStep]) -> None:
        super().__init__(frames)
        self.graph, self.steps = graph, steps

    def _ipython_display_(self) -> None:
        """A picture that plays the steps (an animated PNG, for viewers that run no scripts),
        then the step-through player, which replaces it where scripts run."""
        show_with_picture(self.to_png(), repr(self), self._repr_html_())

    def to_png(self, scale: float = 1.0, step_ms: int = 1500) -> bytes:
        """Every step as one animated PNG: ``step_ms`` per step, the last one shown longer."""
        durations = [step_ms] * (len(self) - 1) + [3 * step_ms]
        return animated_png([frame.to_rgba(scale) for frame in self], durations)

    def __repr__(self) -> str:
        return f"<BackwardSteps: {len(self)} frames>"

    def _repr_html_(self) -> str:
        frames = "".join(
            f'<div class="frame" style="display:{"block" if i == 0 else "none"}">{f.svg}</div>'
            for i, f in enumerate(self))
        uid = "gradlab-steps-" + hashlib.sha1(frames.encode()).hexdigest()[:8]
        return (
            f'<div id="{uid}">{frames}<div style="margin-top:6px">'
            '<button class="prev">&#9664; back</button> '
            f'<input class="pick" type="range" min="0" max="{len(self) - 1}" value="0"> '
            '<button class="next">next &#9654;</button> '
            f'<span class="count">step 0 of {len(self) - 1}</span></div>'
            "<script>(function(){"
            f"var root=document.getElementById('{uid}');"
            "var frames=root.querySelectorAll('.frame'),pick=root.querySelector('.pick');"
            "function show(i){i=Math.max(0,Math.min(frames.length-1,i));"
            "frames.forEach(function(f,k){f.style.display=k==i?'block':'none';});"
            "pick.value=i;root.querySelector('.count').textContent="
            "'step '+i+' of '+(frames.length-1);}"
            "pick.oninput=function(){show(+pick.value);};"
            "root.querySelector('.prev').onclick=function(){show(+pick.value-1);};"
            "root.querySelector('.next').onclick=function(){show(+pick.value+1);};"
            "})();</script></div>"
        )


def backward_steps(
    tensor: Any, gradient: Any = None, *, names: Mapping[str, Any] | None = None
) -> BackwardSteps:
    """The graph behind ``tensor`` drawn once per step of ``backward()``.

    Frame 0 seeds the output's gradient; each next frame highlights the node the engine runs
    and writes on each edge the gradient it passes on; the last frame shows the leaves'
    gradients. Nothing is changed: the leaves keep the ``.grad`` they had. Returns a list of
    ``GraphDrawing`` frames that displays as a player in Jupyter and in exported HTML.
    """
    graph, steps = trace_backward(tensor, gradient, names=names)
    grads = [_leaf_grads(graph, steps, k) for k in range(len(steps))]
    lines = [_leaf_lines(graph, g) for g in grads]
    captions = [_caption(graph, step) for step in steps]
    captions.append("done: " + ", ".join(
        f"{graph.nodes[i].label or 'leaf'}.grad = "
        f"{'None' if g is None else format_values(g)}" for i, g in grads[-1].items()))
    sizes = {}  # boxes wide enough for every frame's text
    for node in graph.nodes:
        texts = [node_text(node)] + [node_text(dataclasses.replace(node, lines=frame[node.id]))
                                     for frame in lines if node.id in frame]
        sizes[node.id] = max(box_size(text) for text in texts)
    base = GraphDrawing(graph, sizes=sizes)
    width = max(len(c) for c in captions) * CHAR_WIDTH + 32

    frames, labels = [], {}
    for k, step in enumerate(steps):
        labels.update({i: format_values(g) for i, g in step.passed.items()})
        frames.append(base.with_highlight(Highlight(
            caption=captions[k], width=width, active={step.node},
            done={s.node for s in steps[:k]}, active_edges=set(step.passed),
            done_edges={i for s in steps[:k] for i in s.passed}, edge_labels=dict(labels),
            lines=lines[k])))
    frames.append(base.with_highlight(Highlight(
        caption=captions[-1], width=width, done={s.node for s in steps},
        done_edges=set(labels), edge_labels=dict(labels), lines=lines[-1])))
    return BackwardSteps(frames, graph, steps)


def watch_backward(
    tensor: Any, gradient: Any = None, *, names: Mapping[str, Any] | None = None
) -> ipywidgets.VBox:
    """A widget that steps through ``backward_steps``: play button, slider, and the graph."""
    import ipywidgets as widgets  # optional dependency, loaded on first use

    frames = backward_steps(tensor, gradient, names=names)
    slider = widgets.IntSlider(value=0, min=0, max=len(frames) - 1, description="step",
                               continuous_update=True)
    play = widgets.Play(value=0, min=0, max=len(frames) - 1, interval=1200, description="play")
    widgets.jslink((play, "value"), (slider, "value"))
    view = widgets.HTML(frames[0].svg)

    def show(change: dict) -> None:
        view.value = frames[change["new"]].svg

    slider.observe(show, names="value")
    box = picture_box()([widgets.HBox([play, slider]), view])
    box.frames = frames
    box.picture = frames.to_png  # the steps as an animated PNG, stored beside the widget
    return box
