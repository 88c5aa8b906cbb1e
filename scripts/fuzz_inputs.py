"""Re-runs the bad inputs of issue 27's "Why" against the command line and the explorer.

Prints one row per case: the case, the exit code (or HTTP status), the number of
lines on stderr (or "json" for a one-line JSON error) and the first line. Every CLI
case should exit 2 with one line (the foreign-file case: exit 0 and nothing on
stderr; SIGINT: exit 130 with the --resume hint); every explorer case 400 or 403.

    nice .venv/bin/python scripts/fuzz_inputs.py [--markdown]
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

PY = [sys.executable, "-m", "metaloss"]
AXES = ["--axis", "lr=log:1e-3:1:4", "--axis", "momentum=lin:0:0.9:4"]
STORE = ["landscape", "--steps", "5", "--axis", "lr=log:1e-3:1:8",
         "--axis", "momentum=lin:0:0.9:8", "--tile", "4,4"]


def cli(args, timeout=120):
    p = subprocess.run([*PY, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stderr


def row(case, code, err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    return case, code, len(lines), lines[0][:150] if lines else ""


def cli_cases(tmp: Path):
    out = tmp / "o.nc"
    user = tmp / "userprob.py"
    user.write_text("def make():\n    table = {}\n    return table['missing']\n")
    simple = [
        ("train es(pairs=1e12)", ["train", "--estimator", "es(pairs=1000000000000)",
                                  "--outer-steps", "1", "--out", tmp / "t"]),
        ("quadratic(dim=1e9)", ["landscape", "--problem", "quadratic(dim=1000000000)", *AXES,
                                "--out", out]),
        ("quadratic(dim=1e7) gradnorm 2000 steps (memory per point)",
         ["landscape", "--problem", "quadratic(dim=10000000)", "--measure", "gradnorm",
          "--steps", "2000", *AXES, "--out", tmp / "m.zarr"]),
        ("quadratic(dim=1e5, rotate=True)", ["landscape", "--problem",
                                             "quadratic(dim=100000,rotate=True)", *AXES,
                                             "--out", out]),
        ("meanfield_mlp(width=100000)", ["landscape", "--problem",
                                         "meanfield_mlp(width=100000)", "--axis",
                                         "lr=log:1e-3:1:4", "--out", out]),
        ("--steps 2^64", ["landscape", "--steps", "18446744073709551616", *AXES, "--out", out]),
        ("--seed 2^70", ["landscape", "--seed", "1180591620717411303424", *AXES, "--out", out]),
        ("user factory raises KeyError", ["landscape", "--problem", f"{user}:make", *AXES,
                                          "--out", out]),
        ("--axis lr=lin:-inf:inf:8", ["landscape", "--axis", "lr=lin:-inf:inf:8", "--out", out]),
    ]
    for case, args in simple:
        yield row(case, *cli(args))

    good = tmp / "good.zarr"
    code, err = cli([*STORE, "--out", good])
    assert code == 0, err

    def damaged(name, damage):
        path = tmp / f"{name}.zarr"
        shutil.copytree(good, path)
        damage(path)
        return path

    def truncate(p):
        f = p / "outer_loss" / "c" / "0" / "1"
        f.write_bytes(f.read_bytes()[:10])

    def bad_config(p):
        meta = json.loads((p / "zarr.json").read_text())
        meta["attributes"]["store_config"] = "{not json"
        (p / "zarr.json").write_text(json.dumps(meta))

    def old_style_delete(p):
        shutil.rmtree(p / "tile_crc")
        (p / "outer_loss" / "c" / "1" / "1").unlink()

    cases = [("truncated chunk", truncate),
             ("invalid store_config JSON", bad_config),
             ("deleted chunk", lambda p: (p / "outer_loss" / "c" / "1" / "0").unlink()),
             ("old store (no checksums), deleted chunk", old_style_delete)]
    for case, damage in cases:
        path = damaged(case.split()[0] + str(abs(hash(case)) % 1000), damage)
        yield row(f"export: {case}", *cli(["export", path, "--out", tmp / "e.nc"]))
        if "config" not in case:
            p = subprocess.run([*PY, *map(str, [*STORE, "--out", path, "--resume"])],
                               capture_output=True, text=True)
            yield (f"--resume: {case}", p.returncode, len(p.stderr.splitlines()),
                   (p.stderr or p.stdout).strip()[:150])

    foreign = damaged("foreign", lambda p: (p / ".zattrs").write_text("garbage{"))
    yield row("export: garbage .zattrs (expect exit 0, no warning)",
              *cli(["export", foreign, "--out", tmp / "f.nc"]))

    big = ["landscape", "--steps", "2000", "--axis", "lr=log:1e-3:1:2048",
           "--axis", "momentum=lin:0:0.9:2048", "--tile", "64,64", "--out", tmp / "int.zarr"]
    for sig in (signal.SIGINT, signal.SIGTERM):
        p = subprocess.Popen([*PY, *map(str, big)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(12)
        p.send_signal(sig)
        _, err = p.communicate(timeout=60)
        yield row(f"{sig.name} during a store run (expect --resume hint)", p.returncode, err)
        shutil.rmtree(tmp / "int.zarr", ignore_errors=True)


def http(url, path, query):
    full = url.rstrip("/") + path + "?" + urllib.parse.urlencode(query)
    try:
        with urllib.request.urlopen(full, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def explorer_cases():
    import jax

    import metaloss as ml
    from metaloss._src.explore.server import background, new_token
    from metaloss.explore import Explorer

    start = ("lr=log:1e-3:1e2:8", "momentum=1mlog:1e-3:1:8")
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=20)
    requests = [
        ("10^12 points", "/api/landscape", [("axis", "lr=log:1e-3:1:1000000000000")]),
        ("10^6 x 10^6 points", "/api/landscape", [("axis", "lr=log:1e-3:1:1000000"),
                                                  ("axis", "momentum=lin:0:0.9:1000000")]),
        ("one axis size unreadable", "/api/landscape",
         [("axis", "lr=log:1e-3:1:9000000"), ("axis", "momentum=lin:0:0.9:x")]),
        ("lr=lin:-inf:inf:8", "/api/landscape", [("axis", "lr=lin:-inf:inf:8")]),
        ("truncated(K=1000) on a 20-step unroll", "/api/gradient",
         [("lr", "-1"), ("estimator", "truncated(K=1000)")]),
        ("es(pairs=1e12)", "/api/gradient", [("lr", "-1"),
                                              ("estimator", "es(pairs=1000000000000)")]),
        ("seed 2^70", "/api/gradient", [("lr", "-1"), ("seed", "1180591620717411303424")]),
        ("path traversal", "/static/../../../etc/passwd", []),
    ]
    with background(Explorer(meta, jax.random.key(0), start, max_points=4096)) as url:
        for case, path, query in requests:
            t0 = time.perf_counter()
            code, body = http(url, path, query)
            try:
                first = json.loads(body)["error"]
            except (ValueError, KeyError):
                first = body[:80].decode(errors="replace")
            yield (f"explorer: {case} ({time.perf_counter() - t0:.2f} s)", code,
                   "json" if "\n" not in first else "multi", first[:150])
    token = new_token()
    with background(Explorer(meta, jax.random.key(0), start), token=token) as url:
        base = url.split("?")[0]
        for path in ("/", "/api/config"):
            code, body = http(base, path, [])
            yield f"explorer beyond loopback, no token: {path}", code, "json", \
                json.loads(body)["error"][:150]


def main(argv):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in [*cli_cases(Path(tmp)), *explorer_cases()]:
            rows.append(r)
            print(" | ".join(map(str, r)), flush=True)
    if "--markdown" in argv:
        print("\n| case | exit/status | lines | first line |\n|---|---|---|---|")
        for r in rows:
            print("| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
