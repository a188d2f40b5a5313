"""The codebase's shape, as the design promises it: small modules, no import cycles, the engine apart from the
app, pages apart from torch, few places that ask whether a run is points or images, tests on public names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 450
MAX_BRANCH_SITES = 20
# A line that asks which kind of data a run has: points or images.
BRANCH = re.compile(r"\bis_image\w*|\bdomain\s*[!=]=|\.kind\s*[!=]=|domain_of\([^)]*\)\s*[!=]=")


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """Every import in the file, at any depth (lazy ones too): (module, names imported from it)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module, [a.name for a in node.names]))
    return out


def engine_graph() -> dict[str, set[str]]:
    """ganviz module -> the ganviz modules it imports (a name that is a submodule counts as that module)."""
    modules = {module_name(p): p for p in python_files("ganviz")}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for module, names in imports(path):
            if module.split(".")[0] != "ganviz":
                continue
            subs = {f"{module}.{n}" for n in names} & set(modules)
            targets |= subs or {module}
            if names and len(subs) < len(names):
                targets.add(module)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_every_module_is_at_most_450_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in python_files("ganviz", "pages")}
    assert sizes and {p: n for p, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_the_engine_has_no_import_cycle_lazy_imports_included():
    graph = engine_graph()
    assert "ganviz.training.trainer" in graph["ganviz.racing.race"]  # the graph sees real imports
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_engine_knows_nothing_of_streamlit_and_the_pages_nothing_of_torch():
    engine = {
        str(p.relative_to(ROOT))
        for p in python_files("ganviz")
        if any(m.split(".")[0] == "streamlit" for m, _ in imports(p))
    }
    pages = {
        str(p.relative_to(ROOT))
        for p in [*python_files("pages"), ROOT / "app.py"]
        if any(m.split(".")[0] == "torch" for m, _ in imports(p))
    }
    assert engine == set() and pages == set()


def test_few_places_ask_whether_a_run_is_points_or_images():
    sites = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in python_files("ganviz", "pages")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if BRANCH.search(line)
    ]
    assert len(sites) <= MAX_BRANCH_SITES, sites


def test_tests_use_public_names_only():
    private = [
        f"{p.relative_to(ROOT)}: {module}.{n}"
        for p in python_files("tests")
        for module, names in imports(p)
        if module.split(".")[0] in ("ganviz", "pages")
        for n in names
        if n.startswith("_")
    ]
    assert private == []
