"""Sohl-Dickstein's six boundaries: the uncertainty-exponent dimension beside the
paper's Table 1 value and our box-count dimensions (issue 24).

    nice .venv/bin/python scripts/sohl_uncertainty.py [--frames 6] [--frame 2 ...] [--samples N]

Runs each configuration's zoom sequence at the atlas's default settings
(``SohlSettings``), then ``sohl_uncertainty.findings`` on frame ``--frame`` (the
atlas's: 2), exactly as ``metaloss atlas`` does, and prints one Markdown row per
configuration and frame: the paper's value, the sohl-dickstein median and box counting
over the sequence, the uncertainty dimension with its 95% bootstrap interval, the frame
and its width in decades, the points drawn and the seconds it took.
"""

from __future__ import annotations

import argparse
import time

from metaloss._src.study import sohl, sohl_uncertainty
from metaloss._src.study.sohl_frames import frame_findings


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=sohl.SohlSettings().frames)
    ap.add_argument("--frame", type=int, nargs="+", default=[sohl_uncertainty.FRAME])
    ap.add_argument("--samples", type=int, default=None)
    args = ap.parse_args()
    settings = sohl.SohlSettings(frames=args.frames)
    frames, boxes = {}, {}

    def on_frame(cfg, k, bounds, img):
        frames.setdefault(cfg.name, []).append(img)
        boxes.setdefault(cfg.name, []).append(bounds)

    t0 = time.perf_counter()
    table = sohl.table1(settings, on_frame=on_frame)
    print(f"zoom sequences: {time.perf_counter() - t0:.1f} s ({settings.describe()})")
    frame_findings(table, frames, settings.describe())
    print("| configuration | paper | sohl-dickstein | box | uncertainty D [95%] | frame "
          "(decades) | points | s (CPU s) |")
    print("|---|---|---|---|---|---|---|---|")
    for k in args.frame:
        sohl_uncertainty.findings(table, boxes, settings, samples=args.samples, frame=k)
        for r in table:
            u = r["uncertainty"]
            b = u["bounds"]
            d = (f"{u['dimension']:.3f} [{u['ci'][0]:.3f}, {u['ci'][1]:.3f}]" if "ci" in u
                 else u["error"])
            print(f"| {r['config']} | {r['paper_value']} | {r['dimension']:.3f} | "
                  f"{r['box']:.3f} | {d} | {u['frame']} ({b[1] - b[0]:.3g}) | "
                  f"{u.get('samples', '-')} | {u['seconds']:.1f} "
                  f"({u.get('cpu_seconds', 0):.1f}) |", flush=True)


if __name__ == "__main__":
    main()
