"""``metaloss explore``'s options, without serving: the server is replaced by a recorder."""

from __future__ import annotations

import socket

import jax
import pytest

import metaloss as ml
import metaloss._src.explore
from cli_helpers import run as run_cli
from metaloss._src.explore.requests import STUDY_VIEW


@pytest.fixture
def served(monkeypatch):
    """The explorers the command would serve (and their sockets' addresses)."""
    calls, tokens = [], []

    def record(explorer, sock, *, open_browser=False, token=None):
        calls.append((explorer, sock.getsockname(), open_browser))
        tokens.append(token)
        sock.close()

    monkeypatch.setattr(metaloss._src.explore, "serve", record)  # where the command looks
    monkeypatch.setattr(metaloss._src.explore, "served_tokens", tokens, raising=False)
    return calls


def run(args, capsys):
    return run_cli(["explore", *args], capsys)


def test_defaults_serve_the_study_view_on_loopback(served, capsys):
    code, out, err = run(["--no-open", "--port", "0"], capsys)
    assert code == 0 and err == ""
    explorer, (host, port), open_browser = served[0]
    assert host == "127.0.0.1" and port > 0 and not open_browser
    assert f"http://127.0.0.1:{port}/" in out
    assert explorer.axes == STUDY_VIEW and explorer.max_points == 1024 * 1024
    assert explorer.meta == ml.MetaLoss("wavy1d", "sgdm", steps=50)


def test_a_system_gets_its_default_view(served, capsys):
    code, _, err = run(["--no-open", "--port", "0", "--problem", "influence_balancing"], capsys)
    assert code == 0 and err == ""
    explorer = served[0][0]
    assert explorer.axes == ("theta=lin:-1:1:256",)
    assert explorer.meta == ml.MetaLoss("influence_balancing", steps=50)


def test_problem_options_as_in_landscape(served, capsys):
    code, _, _ = run(["--no-open", "--port", "0", "--steps", "20", "--set", "momentum=0.5",
                      "--axis", "lr=log:1e-3:1:64", "--max-size", "4096",
                      "--measure", "diverged", "--seed", "3"], capsys)
    assert code == 0
    explorer = served[0][0]
    assert explorer.meta.steps == 20 and dict(explorer.meta.fixed) == {"momentum": 0.5}
    assert explorer.axes == ("lr=log:1e-3:1:64",) and explorer.measure == "diverged"
    assert explorer.max_points == 4096
    assert (jax.random.key_data(explorer.key) == jax.random.key_data(jax.random.key(3))).all()


def test_a_non_loopback_host_requires_a_token(served, capsys):
    code, out, err = run(["--no-open", "--port", "0", "--host", "0.0.0.0"], capsys)
    token = metaloss._src.explore.served_tokens[0]
    assert code == 0 and "token" in err and len(token) >= 16
    assert f"?token={token}" in out


def test_store_fixes_the_problem(served, capsys, tmp_path):
    meta = ml.MetaLoss("wavy1d", "sgdm", steps=10, fixed={"momentum": 0.8})
    path = tmp_path / "s.zarr"
    ml.landscape(meta, {"lr": ml.logspace(-3, 1, 40)}, store=path, progress=False)
    code, _, _ = run(["--no-open", "--port", "0", "--store", str(path)], capsys)
    assert code == 0
    explorer = served[0][0]
    assert explorer.meta == meta and explorer.axes == ("lr=log:0.001:10:40",)


BAD = [
    (["--axis", "beta=lin:0:1:4"], "beta"),
    (["--axis", "lr=log:1e-3:1:2000", "--axis", "momentum=lin:0:0.9:2000"], "limit"),
    (["--axis", "momentum=lin:0:0.9:8", "--set", "momentum=0.9"], "fixed"),
    (["--set", "momentum=0.9"], "--axis"),
    (["--optimizer", "adam"], "--axis"),
    (["--max-size", "0"], "--max-size"),
    (["--port", "70000"], "--port"),
    (["--store", "missing.zarr"], "no landscape store"),
    (["--store", "missing.zarr", "--steps", "10"], "--steps"),
    (["--measure", "nope"], "measure"),
]


@pytest.mark.parametrize(("args", "words"), BAD)
def test_bad_input_exits_2_with_one_line(served, capsys, args, words):
    code, _, err = run(["--no-open", "--port", "0", *args], capsys)
    assert code == 2 and not served
    assert err.count("\n") == 1 and err.startswith("error:") and words in err


def test_a_busy_port_is_bad_input(served, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code, _, err = run(["--no-open", "--port", str(port)], capsys)
    assert code == 2 and "cannot listen" in err
