"""`grade explain ITEM`: one item in words, for answering a regrade request in a minute."""
from __future__ import annotations

import textwrap
from typing import Optional

from grader.display.plaintext import counted, to_plain
from grader.engine.checks import item_seed
from grader.engine.coverage import trial_count
from grader.engine.inputs import draw_trials
from grader.rubric.model import InputSpec, Item, Rubric


def explain_item(rubric: Rubric, item: Item, seed: Optional[int] = None) -> str:
    points = counted(item.points, "point")
    lines = [f"{item.id}: {to_plain(item.title)}  ({points}, {item.visibility})",
             textwrap.fill(" ".join(item.description.split()), 90) if item.description else "",
             "", f"student defines  {item.student}  ({_kind(item)})"]
    if item.kind == "constant":
        lines.append(f"right answer     {item.expected!r}"
                     + (f" after {', '.join(item.normalize)}" if item.normalize else ""))
        return "\n".join(lines)
    lines.append(f"compared with    reference {item.reference}"
                 + "".join(f", or {a}" for a in item.alternatives))
    lines.append(f"passes when      |got - expected| <= {item.atol:g} + {item.rtol:g} * "
                 f"|expected| everywhere, on all {trial_count(item)} trials (shapes must match; "
                 "NaN and inf fail)")
    lines.append(f"time limit       {item.timeout:g} s per call")
    if item.mode == "inplace":
        lines.append(f"checks           {', '.join(item.compare)} after the call (pre-filled "
                     f"with random values); may change: {', '.join(item.mutable)}; every other"
                     " input must come back unchanged")
    elif item.outputs:
        lines.append(f"returns          ({', '.join(item.outputs)}), compared part by part")
    lines += ["", f"called as        {item.attr}({', '.join(item.arg_names)})", "inputs, drawn "
              "in this order per trial:"]
    lines += [f"  {name:<12} {_spec(spec)}" for name, spec in item.inputs.items()]
    if item.edge_cases:
        lines.append(f"edge cases (the first {len(item.edge_cases)} trials):")
        lines += ["  " + ", ".join(f"{k}={v}" for k, v in case.items()) for case in item.edge_cases]
    if item.mistakes:
        lines += ["", "known mistakes it names:"]
        for m in item.mistakes:
            lines.append(f"  {m.id} ({m.reference})")
            lines.append(textwrap.indent(textwrap.fill(" ".join(m.message.split()), 84), "      "))
    if seed is not None:
        lines += ["", f"trials for --seed {seed}:"]
        for trial in draw_trials(item, item_seed(seed, item)):
            params = ", ".join(f"{k}={v}" for k, v in trial.params().items()
                               if not v.startswith("array"))  # their shapes follow from these
            lines.append(f"  {trial.index + 1:>3}{' (edge)' if trial.edge else ''}: {params}")
    return "\n".join(lines)


def _kind(item: Item) -> str:
    return {"function": "a function whose return value is compared",
            "inplace": "a function that updates arguments in place",
            "constant": "a module-level value"}[item.kind]


def _spec(spec: InputSpec) -> str:
    if spec.array is not None:
        shape = ", ".join(map(str, spec.array))
        dist = (f"uniform in [{spec.uniform[0]}, {spec.uniform[1]}]" if spec.uniform
                else "normal, mean {}, std {}".format(*(spec.normal or (0, 1))))
        return f"float64 array [{shape}], {dist}"
    if spec.int_ is not None:
        return (f"integer in [{spec.int_[0]}, {spec.int_[1]}]" + (", odd" if spec.odd else "")
                + (", log-uniform" if spec.log else ""))
    if spec.uniform is not None:
        return f"float, uniform in [{spec.uniform[0]}, {spec.uniform[1]}]"
    if spec.loguniform is not None:
        return f"float, log-uniform in [{spec.loguniform[0]}, {spec.loguniform[1]}]"
    if spec.choice is not None:
        return "one of " + ", ".join(map(str, spec.choice))
    return f"= {spec.value}"
