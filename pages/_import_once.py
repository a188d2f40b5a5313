"""Every module the app's scripts import, imported by one thread before any script imports its own.

Streamlit runs each session's script in a thread of its own. On a freshly started server, a class opening a shared
link at once has several threads importing ganviz and its dependencies at the same time, and Python's per-module
import locks can then cross: a thread inside one module waits for a module another thread is importing, which
waits for the first. Python stops one of them ("_DeadlockError: deadlock detected by _ModuleLock") and that student
sees an error. So app.py and every page import this module before anything but the standard library (the isort
section "import-once" in pyproject.toml): the first thread to get here imports every module the scripts name, the
others wait until this module is imported, then find everything imported already.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def imported_modules(paths) -> dict[str, list[str]]:
    """The modules the files import at their top level (absolute imports), each with the names taken from it."""
    modules: dict[str, list[str]] = {}
    for path in paths:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    modules.setdefault(alias.name, [])
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.setdefault(node.module, []).extend(alias.name for alias in node.names)
    modules.pop(__name__, None)
    return modules


def import_all(modules: dict[str, list[str]]) -> None:
    """Import each module, and each name taken from it that is a module of its own (`from ganviz import latent`)."""
    for name, members in modules.items():
        module = importlib.import_module(name)
        for member in members:
            if not hasattr(module, member):
                importlib.import_module(f"{name}.{member}")


import_all(imported_modules(SCRIPTS))
