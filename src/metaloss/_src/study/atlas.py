"""The fractal-boundary atlas as one call: the papers number by number (Liu 2024,
Sohl-Dickstein 2024, Vicol et al. 2021), each with its own procedure and estimator
beside ours, the seed study's findings as numbers, Liu's boundary zoomed past float64,
and one table of findings; an :class:`~metaloss._src.study.atlas_result.Atlas`."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

from metaloss._src.errors import InputError
from metaloss._src.study import liu as liu_mod
from metaloss._src.study import sohl as sohl_mod
from metaloss._src.study.atlas_result import Atlas
from metaloss._src.study.findings import Finding

PARTS = ("liu", "sohl_dickstein", "seed_study", "pes_paper", "precision_depth")
"""The atlas's parts, in the order they run."""


def atlas(*, quick: bool = False, liu: liu_mod.LiuSettings | None = None,
          sohl: sohl_mod.SohlSettings | None = None, seed: int = 0,
          parts: Sequence[str] = PARTS, log: Callable[[str], None] | None = None) -> Atlas:
    """Measures every finding of the atlas and returns them with the numbers behind them.

    ```python
    from metaloss import study

    result = study.atlas(quick=True, parts=("seed_study",))
    result.table(); result.save("atlas/")
    ```

    Args:
      quick: tiny sizes everywhere (seconds; a smoke test): the default settings
        below become their quick versions, and the seed study, the PES paper and the
        precision zoom run reduced.
      liu: Liu's Fig. 2 and sweep sizes (default: the CPU default, or with ``quick``
        the quick one); ``LiuSettings`` of :mod:`metaloss.study`.
      sohl: the Sohl-Dickstein networks and frames (default as for ``liu``).
      seed: the PRNG seed of Liu's runs (recorded in ``atlas.json``).
      parts: which parts to run, a subset of :data:`PARTS` (``"liu"``,
        ``"sohl_dickstein"``, ``"seed_study"``, ``"pes_paper"``, ``"precision_depth"``).
      log: optional ``str -> None`` for progress lines.

    Returns:
      :class:`Atlas`: ``.findings``, ``.table()``, ``.save(dir)``.
    """
    import jax

    from metaloss._src.study import liu_rows, pes_paper, sohl_uncertainty
    from metaloss._src.study.seed_rows import seed_findings
    from metaloss._src.study.sohl_frames import frame_findings

    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise InputError(f"parts must be some of {', '.join(PARTS)}; got {list(parts)}")
    liu_cfg = liu or (liu_mod.QUICK if quick else liu_mod.LiuSettings())
    sd_cfg = sohl or (sohl_mod.QUICK if quick else sohl_mod.SohlSettings())
    log = log or (lambda _: None)
    key = jax.random.key(seed)
    numbers: dict = {"settings": {"liu": dataclasses.asdict(liu_cfg),
                                  "sohl_dickstein": sd_cfg.describe(), "quick": quick},
                     "seed": seed}
    if tuple(parts) != PARTS:
        numbers["parts"] = [p for p in PARTS if p in parts]
    found: list[Finding] = []
    figures: dict = {}
    texts: dict[str, str] = {}
    seconds: dict[str, float] = {}
    t0 = tick = time.perf_counter()

    def part(name):
        nonlocal tick
        seconds[name] = round(time.perf_counter() - tick, 1)
        tick = time.perf_counter()

    from metaloss._src import plot

    if "liu" in parts:
        log(f"[1/4] Liu (2024) Fig. 2a/2b: 2^{liu_cfg.fig2_level} + 1 learning rates x "
            f"{liu_cfg.steps} steps, float64 ...")
        fig2 = liu_rows.fig2_rows(liu_cfg, key, log)
        figures["liu_counts.png"] = plot.liu_counts(fig2)
        part("liu_fig2")
        log(f"[2/4] Liu (2024) sweep: {len(liu_cfg.ratios)} roughness values x "
            f"{len(liu_cfg.lams)} wavelengths x 2^{liu_cfg.sweep_level} + 1 learning rates ...")
        sweep = liu_rows.sweep_rows(liu_cfg, key, log)
        summary = liu_rows.sweep_summary(sweep, liu_cfg)
        cells = liu_rows.paper_sweep(liu_cfg.sweep_level)
        figures["liu_sweep.png"] = plot.liu_sweep(summary, cells)
        found += liu_rows.findings(fig2, summary, liu_cfg) + liu_rows.onset_findings(summary,
                                                                                     liu_cfg)
        numbers["liu"] = {"fig2": fig2, "sweep": sweep, "summary": summary, "paper_cells": cells}
        part("liu_sweep")
    if "sohl_dickstein" in parts:
        log(f"[3/4] Sohl-Dickstein (2024) Table 1: {len(sd_cfg.configs)} configurations, "
            f"{sd_cfg.describe()} ...")
        frames: dict[str, list] = {}
        boxes: dict[str, list] = {}

        def on_frame(cfg, k, bounds, img):
            frames.setdefault(cfg.name, []).append(img)
            boxes.setdefault(cfg.name, []).append(bounds)
            log(f"      {cfg.name}: frame {k} done")

        table = sohl_mod.table1(sd_cfg, on_frame=on_frame)
        for r in table:
            log(f"      {r['title']}: {r['dimension']:.3f} (paper {r['paper_value']}); "
                f"{r['seconds']:.1f} s")
        found += frame_findings(table, frames, sd_cfg.describe())
        found += sohl_uncertainty.findings(table, boxes, sd_cfg, quick=quick, log=log)
        figures["sd_frames.png"] = plot.sd_frames(frames, table)
        numbers["sohl_dickstein"] = [{k: v for k, v in r.items() if k != "finding"}
                                     for r in table]
        part("sohl_dickstein")
    if "seed_study" in parts:
        log("[4/4] the seed study's findings: gradient and ES runs ...")
        numbers["seed_study"], rows = seed_findings(quick=quick)
        found += rows
        part("seed_study")
    if "pes_paper" in parts:
        log("[+] Vicol et al. (2021, PES): influence balancing and the toy regression ...")
        results, rows, toy = pes_paper.measure(pes_paper.QUICK if quick else pes_paper.FULL)
        numbers["pes_paper"] = results
        texts.update({f"pes/{name}": text for name, text in pes_paper.texts(results,
                                                                             rows).items()})
        figures["pes/toy_regression.png"] = toy
        found += rows
        part("pes_paper")
    if "precision_depth" in parts:
        rows, depth_found, figures["precision_depth.png"] = _depth(quick, log)
        found += depth_found
        numbers.update(precision_depth=rows,
                       precision_findings=[f.to_json() for f in depth_found])
        part("precision_depth")
    seconds["total"] = round(time.perf_counter() - t0, 1)
    numbers["seconds"] = seconds
    return Atlas(found, numbers, figures, texts)


def _depth(quick: bool, log):
    """Issue 24's rows: Liu's boundary (1.5x and 3x the onset) and the tanh networks'
    (:data:`.depth.NETWORKS`), zoomed in double-double."""
    from metaloss._src.study import depth, depth_rows

    t = time.perf_counter()
    levels, tanh = (10, dict(levels=2, size=8, tries=1)) if quick else \
        (13, dict(levels=18, size=32, tries=3))
    nets = "; ".join(f"width {n['width']}, {n['steps']} steps" for n in depth.NETWORKS)
    log(f"[+] precision: Liu's boundary at 1.5x and 3x the onset, {levels} levels of "
        f"128 learning rates x 300 steps; the tanh networks ({nets}), {tanh['levels']} "
        f"levels of {tanh['size']}; double-double ...")
    rows = [row for r in (1.5, 3.0) for row in depth.depth_zoom(r, levels=levels)]
    rows += [row for net in depth.NETWORKS for row in depth.tanh_zoom(net, **tanh)]
    found = depth_rows.atlas_findings(rows, quick=quick)
    for f in found:
        log(f"      {f.finding}" + ("" if isinstance(f.value, str) else
                                    f": {f.value:.3g}" if f.value is not None else ": none"))
    log(f"      {time.perf_counter() - t:.1f} s")
    return rows, found, depth_rows.depth_figure(rows)
