"""The benchmark's table on stdout, and ``RESULTS.md``."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from common import Timing, fmt_seconds

HEAD = ("item", "measurement", "metaloss", "reference", "ratio", "target", "met",
        "max error vs float64 (non-chaotic points) / agreement")


def cells(r: dict) -> list[str]:
    def show(v):
        if v is None:
            return ""
        return str(v) if isinstance(v, (Timing, str)) else fmt_seconds(v)

    ratio = "" if r["ratio"] is None else f"{r['ratio']:.1f}x"
    met = {None: "", True: "yes", False: "**no**"}[r["met"]]
    return [r["item"], r["what"], show(r["ours"]), show(r["ref"]), ratio, r["target"], met,
            r["error"]]


def markdown_table(head, body) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in b) + " |" for b in body]
    return "\n".join(lines)


def print_table(rows, prof) -> None:
    if rows:
        print()
        print(markdown_table(HEAD, [cells(r) for r in rows]))
    for title, body in profile_tables(prof):
        print(f"\n{title}\n{body}")


def profile_tables(prof) -> list[tuple[str, str]]:
    out = []
    if "accuracy" in prof:
        out.append(("sin / cos max error in float32 ulp (sin / cos), uniform random inputs",
                    markdown_table(("range", "fastmath.sincos", "XLA jnp.sin/cos", "NumPy",
                                    "fastmath max abs error"),
                                   [(r, *c.split(" | ")) for r, c in prof["accuracy"]])))
    if "elementwise" in prof:
        out.append(("Elementwise cost, float32, 2^20 elements, one jitted call",
                    markdown_table(("operation", "ns / element"),
                                   [(n, f"{v:.2f}") for n, v in prof["elementwise"]])))
    if "variants" in prof:
        out.append(("Landscape cost per grid point and inner step",
                    markdown_table(("variant", "ns / (point x step)"),
                                   [(n, f"{v:.2f}") for n, v in prof["variants"]])))
    if "es" in prof:
        out.append(("Compiled ES, cost per outer step",
                    markdown_table(("variant", "us / outer step"),
                                   [(n, f"{v:.2f}") for n, v in prof["es"]])))
    return out


def save_json(path: Path, info, cfg, rows, prof, quick: bool) -> None:
    """The raw measurements, so RESULTS.md can be re-rendered without re-measuring."""

    def enc(v):
        return {"runs": v.runs} if isinstance(v, Timing) else v

    data = {"info": info, "cfg": cfg, "quick": quick, "prof": prof,
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "rows": [{k: enc(v) for k, v in r.items()} for r in rows]}
    path.write_text(json.dumps(data, indent=1))


def load_json(path: Path):
    data = json.loads(path.read_text())

    def dec(v):
        return Timing(v["runs"]) if isinstance(v, dict) and "runs" in v else v

    rows = [{k: dec(v) for k, v in r.items()} for r in data["rows"]]
    prof = {k: [tuple(x) for x in v] for k, v in data["prof"].items()}
    return data["info"], data["cfg"], rows, prof, data["quick"], data["date"]


def write_results(path: Path, info, cfg, rows, prof, quick: bool, date: str | None = None):
    date = date or datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts = [
        "# metaloss benchmark results",
        "",
        f"Written by `benchmarks/run.py{' --quick' if quick else ''}` (`make bench`) on {date}; "
        f"the whole run took {info['total']}. Each time is the median of several runs "
        f"({cfg['repeats']} warm, {cfg['cold_repeats']} cold in fresh processes, "
        f"{cfg['baseline_repeats']} for the slow baseline after its cold call); every ratio "
        "is against a baseline measured in the same run on the same machine.",
        "",
        f"- CPU: {info['cpu']}",
        f"- JAX device: {info['device']}",
        f"- Versions: {info['versions']}",
        f"- Load average (1, 5, 15 min) at start: {info['load_start']}, at end: "
        f"{info['load_end']}. The machine was shared with other jobs, so single "
        "timings are noisy; ratios within one run are the robust figures.",
    ]
    if "mask" in info:
        parts.append(f"- Accuracy check: {info['mask']} (float64 NumPy reference; a point "
                     "counts when nudging lr or 1 - momentum by 2^-20 relative moves the "
                     "float64 loss by <= 1e-5, and it did not diverge).")
    parts += ["", "## Results", "", markdown_table(HEAD, [cells(r) for r in rows]), ""]
    for title, body in profile_tables(prof):
        parts += [f"### {title}", "", body, ""]
    parts.append(NOTES_PATH.read_text())
    path.write_text("\n".join(parts))


NOTES_PATH = Path(__file__).resolve().parent / "NOTES.md"
