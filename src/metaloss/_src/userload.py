"""Loading a user's object from ``module:attribute`` or ``path/file.py:attribute``.

Used by :mod:`metaloss._src.spec` for problems, optimizers and estimators that live in
the user's own code. A module that is not importable is also looked up in the
working directory, as ``python -m`` would.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

from metaloss._src.errors import InputError

USER_DIRS: set[str] = set()
"""Directories of the user modules loaded so far: an exception raised from a file in
one of them is the user's (see :func:`metaloss._src.cli.app.user_frame`)."""


def _remember(module) -> None:
    top = sys.modules.get(module.__name__.partition(".")[0], module)
    where = getattr(top, "__file__", None) or getattr(module, "__file__", None)
    if where:
        USER_DIRS.add(os.path.join(os.path.realpath(os.path.dirname(where)), ""))


def load_attribute(spec: str) -> Any:
    """Imports ``module:attribute`` (or ``file.py:attribute``); dotted attributes allowed.

    A module name that is not importable is also looked up in the working
    directory, as ``python -m`` would. Raises ``ValueError`` with a one-line message.
    """
    module_name, sep, attr = spec.rpartition(":")
    if not sep or not module_name or not attr:
        raise InputError(f"expected 'module:attribute', got {spec!r}")
    module = _import(module_name)
    _remember(module)
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise InputError(f"{module_name!r} has no attribute {attr!r}") from None
    return obj


def _import(module_name: str):
    if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
        path = os.path.abspath(module_name)
        if not os.path.isfile(path):
            raise InputError(f"no such file: {module_name}")
        name = "metaloss_user_" + os.path.splitext(os.path.basename(path))[0]
        file_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(file_spec)
        sys.modules[name] = module  # dataclasses and pickling look modules up here
        try:
            file_spec.loader.exec_module(module)
        except Exception as e:
            sys.modules.pop(name, None)
            _remember(module)
            raise InputError(f"importing {module_name} failed: {describe_exception(e)}") from e
        return module
    try:
        return _import_module(module_name)
    except ModuleNotFoundError:
        cwd = os.getcwd()
        if cwd in sys.path:
            raise InputError(f"no module named {module_name!r}") from None
        sys.path.insert(0, cwd)
        try:
            return _import_module(module_name)
        except ModuleNotFoundError:
            raise InputError(f"no module named {module_name!r}") from None
        finally:
            sys.path.remove(cwd)


def _import_module(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and module_name.startswith(e.name):
            raise  # the module itself is missing
        raise InputError(f"importing {module_name} failed: {describe_exception(e)}") from e
    except Exception as e:
        raise InputError(f"importing {module_name} failed: {describe_exception(e)}") from e


def describe_exception(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text}" if text else type(e).__name__
