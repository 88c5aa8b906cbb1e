"""The study's applications as library calls: the fractal-boundary atlas.

:func:`atlas` (``metaloss atlas``) measures the fractal-trainability papers number by
number (Liu 2024, Sohl-Dickstein 2024, Vicol et al. 2021), the seed study's findings
and Liu's boundary zoomed past float64, and returns an :class:`Atlas`: one
:class:`Finding` per reproduced number, the numbers behind them and the figures, with
``save(dir)`` writing ``atlas.json`` (its list ``findings``), ``atlas.md`` and the
figures. :class:`LiuSettings` and :class:`SohlSettings` size its two papers' parts
(:data:`LIU_QUICK`, :data:`LIU_PAPER`, :data:`SOHL_QUICK`, :data:`SOHL_PAPER` are the
command's ``--quick`` and ``--paper`` sizes).

This module is an application built on the library: ``import metaloss`` does not load
it.
"""

from metaloss._src.study.atlas import PARTS, atlas
from metaloss._src.study.atlas_result import Atlas
from metaloss._src.study.findings import Finding
from metaloss._src.study.liu import PAPER as LIU_PAPER
from metaloss._src.study.liu import QUICK as LIU_QUICK
from metaloss._src.study.liu import LiuSettings
from metaloss._src.study.sohl import PAPER_SCALE as SOHL_PAPER
from metaloss._src.study.sohl import QUICK as SOHL_QUICK
from metaloss._src.study.sohl import SohlSettings

__all__ = [
    "LIU_PAPER",
    "LIU_QUICK",
    "PARTS",
    "SOHL_PAPER",
    "SOHL_QUICK",
    "Atlas",
    "Finding",
    "LiuSettings",
    "SohlSettings",
    "atlas",
]
