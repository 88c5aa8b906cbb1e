"""What both renderings of the report share: the introduction line, the headline
numbers, the row lists of the closing tables, and the order of the parts.

Order (Markdown and HTML alike): title and run line, the headline numbers, then each
section (text, figures, then its tables), then every number, the wall time per stage
and the configuration records. Long tables come after the figures they explain.
"""

from __future__ import annotations

import json
import platform
import re

import jax

from metaloss._src.version import __version__

HEADLINE = (
    re.compile(r"^landscape minimum( at \(lr, momentum\))?$"),
    re.compile(r"^gradient from .*: final true outer loss"),
    re.compile(r"^ES from .* seeds: final true loss"),
    re.compile(r"^compare: .*median final true loss"),
    re.compile(r"^MLP digits: (best mean training loss|validation accuracy)"),
    re.compile(r"^chaos: (fraction of the plane with Lyapunov exponent > 0|divergence boundary "
               r"dimension \[95% CI\])$"),
)
"""Which key numbers the report leads with: the landscape's minimum, where each
training method ends, the MLP's best cell, and how chaotic the plane is. All numbers
follow the sections."""

MOST_HEADLINE = 16


def headline(numbers: list[tuple[str, str]], most: int = MOST_HEADLINE
             ) -> list[tuple[str, str]]:
    """The key numbers the report opens with (at most ``most``), in their order; the
    numbers themselves when none matches :data:`HEADLINE`. When more match than fit,
    each topic (the name before its first ``:``) gives up numbers in turn (round robin),
    so a comparison of nine estimators does not crowd out the sections after it."""
    chosen = [(k, v) for k, v in numbers if any(p.search(k) for p in HEADLINE)]
    if len(chosen) < 3:  # names changed or a report of other sections: lead with its first
        chosen = list(numbers)
    return spread(chosen, most)


def spread(numbers: list[tuple[str, str]], most: int) -> list[tuple[str, str]]:
    """Up to ``most`` of ``(name, value)``, kept in their order: the first of every topic
    (the name's text before its first ``:``; none for names without one), then the
    second of every topic, and so on while places last."""
    first: dict[str, int] = {}  # topic -> index of its first number
    seen: dict[str, int] = {}  # topic -> how many of its numbers came before
    turn = []  # (its rank within the topic, the topic's first index): round-robin order
    for i, (name, _) in enumerate(numbers):
        topic = name.partition(":")[0] if ":" in name else ""
        turn.append((seen.get(topic, 0), first.setdefault(topic, i)))
        seen[topic] = turn[-1][0] + 1
    chosen = sorted(range(len(numbers)), key=turn.__getitem__)[:most]
    return [numbers[i] for i in sorted(chosen)]


def intro(rep) -> str:
    mode = "quick (reduced sizes)" if rep.quick else "full (the study's sizes)"
    return (
        f"metaloss {__version__}, JAX {jax.__version__} on "
        f"{jax.devices()[0].platform} ({platform.processor() or platform.machine()}); "
        f"run: {mode}; total wall time {rep.timings.get('total', float('nan')):.1f} s."
    )


def timing_rows(rep) -> list[list[str]]:
    return [[k, f"{v:.2f}"] for k, v in rep.timings.items()]


def config_rows(rep) -> list[list[str]]:
    return [[name, json.dumps(record, sort_keys=True)] for name, record in rep.config.items()]


def slug(text: str, taken: set[str]) -> str:
    """An HTML id for a heading: lower case, words joined by '-', unique among ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "part"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}-{k}", k + 1
    taken.add(name)
    return name
