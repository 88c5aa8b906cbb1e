"""fastrng: the straight-line Threefry lowering gives JAX's random numbers bit for bit.

Both sides run in one fresh interpreter, JAX's own lowering first: once registered, a
lowering stays for the process, and this suite registers it for itself
(``tests/conftest.py``).
"""

import json
import os
import subprocess
import sys

import pytest

PROGRAM = r"""
import json
import jax, jax.numpy as jnp
from jax.extend.random import threefry_2x32

def draws(keys):
    def one(k):
        a, b = jax.random.split(k)
        return (jax.random.key_data(jax.random.split(b, 5)), jax.random.normal(a, (3,)),
                jax.random.uniform(jax.random.fold_in(a, 7), (2,)), jax.random.bits(b, (4,)))
    return jax.vmap(one)(keys)

def side():
    # a new function object each time: no compiled program is reused across lowerings
    f = jax.jit(lambda keys: draws(keys))
    keys = jax.random.split(jax.random.key(42), 64)
    out = [jnp.ravel(x).view(jnp.uint32).tolist() for x in f(keys)]
    # Known-answer vector of Threefry-2x32 with 20 rounds (Random123's kat_vectors).
    kat = jax.jit(lambda k, c: threefry_2x32(k, c))(jnp.uint32([0x13198A2E, 0x03707344]),
                                                   jnp.uint32([0x243F6A88, 0x85A308D3]))
    return {"draws": out, "kat": [int(v) for v in kat],
            "loops": f.lower(keys).as_text().count("stablehlo.while")}

default = side()
from metaloss._src.fastrng import straight_threefry_on_cpu
assert straight_threefry_on_cpu()
print(json.dumps([default, side()]))
"""

ENV = {**{k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}, "JAX_PLATFORMS": "cpu"}


@pytest.fixture(scope="module")
def both():
    proc = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                          check=True, env=ENV)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_same_random_numbers_bit_for_bit(both):
    default, straight = both
    assert straight["draws"] == default["draws"]
    assert len(straight["draws"][0]) == 64 * 5 * 2


def test_known_answer(both):
    for side in both:
        assert side["kat"] == [0xC4923A9C, 0x483DF7A0]


def test_no_loop_left_in_the_lowered_program(both):
    default, straight = both
    assert straight["loops"] == 0
    # JAX rolls the hash into a loop on the CPU: the reason this module exists. If a
    # JAX release stops doing so, this says that the module has become unnecessary.
    assert default["loops"] > 0
