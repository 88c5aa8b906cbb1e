"""Renders a :class:`metaloss.report.Report` as Markdown and as standalone HTML."""

from __future__ import annotations

import html
import json
import platform

import jax

from metaloss.version import __version__


def _intro(rep) -> str:
    mode = "quick (reduced sizes)" if rep.quick else "full (the study's sizes)"
    return (
        f"metaloss {__version__}, JAX {jax.__version__} on "
        f"{jax.devices()[0].platform} ({platform.processor() or platform.machine()}); "
        f"run: {mode}; total wall time {rep.timings.get('total', float('nan')):.1f} s."
    )


def _md_table(header, rows) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return lines + [""]


def _timing_rows(rep):
    return [[k, f"{v:.2f}"] for k, v in rep.timings.items()]


def _config_rows(rep):
    return [[name, json.dumps(record, sort_keys=True)] for name, record in rep.config.items()]


def render_markdown(rep) -> str:
    out = ["# metaloss report: hyperparameter meta-loss landscapes", "", _intro(rep), ""]
    out += ["## Key numbers", ""] + _md_table(["quantity", "value"], rep.numbers)
    out += ["## Wall time per stage (s)", ""] + _md_table(["stage", "seconds"], _timing_rows(rep))
    if rep.config:
        out += ["## Configuration", ""] + _md_table(["computation", "record"],
                                                    [[n, f"`{r}`"] for n, r in _config_rows(rep)])
    for sec in rep.sections:
        out += [f"## {sec.title}", ""]
        for p in sec.paragraphs:
            out += [p, ""]
        for header, rows in sec.tables:
            out += _md_table(header, rows)
        for name, caption in sec.figures:
            out += [f"![{caption}]({name})", "", f"*{caption}*", ""]
    return "\n".join(out)


_STYLE = (
    "body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
    "text-align:left}figure{display:inline-block;width:48%;margin:0.5%;vertical-align:top}"
    "img{width:100%}figcaption{font-size:0.85em;color:#555}"
)


def _html_table(header, rows) -> str:
    e = html.escape
    head = "".join(f"<th>{e(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render_html(rep) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        "<title>metaloss report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>metaloss report: hyperparameter meta-loss landscapes</h1>",
        f"<p>{e(_intro(rep))}</p>",
        "<h2>Key numbers</h2>",
        _html_table(["quantity", "value"], rep.numbers),
        "<h2>Wall time per stage (s)</h2>",
        _html_table(["stage", "seconds"], _timing_rows(rep)),
    ]
    if rep.config:
        parts += ["<h2>Configuration</h2>", _html_table(["computation", "record"],
                                                         _config_rows(rep))]
    for sec in rep.sections:
        parts.append(f"<h2>{e(sec.title)}</h2>")
        parts += [f"<p>{e(p)}</p>" for p in sec.paragraphs]
        parts += [_html_table(h, r) for h, r in sec.tables]
        for name, cap in sec.figures:
            parts.append(f"<figure><img src='{e(name)}' alt='{e(cap)}'>"
                         f"<figcaption>{e(cap)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts)
