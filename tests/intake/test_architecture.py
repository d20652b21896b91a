"""The shape of ``intake``: packages by domain that import each other only downward.

Every module under ``intake/`` is parsed (never imported) and each ``import`` in it, at the top
or inside a function, becomes an edge of a graph: an import hidden in a function is still a
dependency of the design. The graph must have no cycle, between modules or between packages,
and every edge must go down ``LAYERS``, the order that docs/architecture.md writes down (a test
below keeps the two the same). A lazy import that is truly needed goes into ``ALLOWED`` with the
reason beside it; there is none today.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Top to bottom. A module may import its own unit (the package or module listed) and any unit
# of a lower line, never one of its own line or above. A new package takes its line here and in
# docs/architecture.md ("The order of the packages").
LAYERS: list[list[str]] = [
    # entry points: what Django, the queue and the command line name
    [
        "intake.urls",
        "intake.admin",
        "intake.apps",
        "intake.jobs",
        "intake.statistics_freeze",
        "intake.management",
        "intake.templatetags",
    ],
    ["intake.synthetic"],
    ["intake.scorecard"],
    ["intake.results"],
    ["intake.lookup"],
    ["intake.reports"],
    ["intake.watch"],
    ["intake.national"],
    ["intake.petitions"],
    ["intake.online"],
    ["intake.processing"],
    ["intake.counter"],
    ["intake.payments"],
    ["intake.documents"],
    ["intake.slips"],
    ["intake.access", "intake.routing", "intake.sms", "intake.contacts", "intake.indicators"],
    ["intake.models"],
]

# (importing module, imported module): why this edge may break the rules. Keep it empty.
ALLOWED: dict[tuple[str, str], str] = {}


def module_sources(root: Path = ROOT) -> dict[str, str]:
    """Every module of ``intake`` (but its migrations) by dotted name, with its source."""
    sources = {}
    for path in sorted((root / "intake").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if "migrations" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        sources[name] = path.read_text(encoding="utf-8")
    return sources


def _packages(sources: dict[str, str]) -> set[str]:
    """The modules that are packages: those another module's name continues."""
    return {name.rsplit(".", 1)[0] for name in sources if "." in name} & set(sources)


def imports(sources: dict[str, str]) -> set[tuple[str, str]]:
    """The edges (importer, imported) between modules of ``intake``, wherever the import
    stands in the file. ``from a import b`` is an edge to ``a.b`` when that is a module."""
    packages = _packages(sources)
    edges = set()
    for name, source in sources.items():
        here = name if name in packages else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(source)):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in sources else base)
            for target in targets:
                while target and target not in sources:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add((name, target))
    return edges


def unit_of(module: str, layers: list[list[str]]) -> tuple[int, str] | None:
    """The line of ``layers`` and the unit a module belongs to (its longest listed prefix)."""
    best = None
    for rank, units in enumerate(layers):
        for unit in units:
            inside = module == unit or module.startswith(unit + ".")
            if inside and (best is None or len(unit) > len(best[1])):
                best = (rank, unit)
    return best


def upward(edges, layers) -> list[str]:
    """Every edge that goes up ``layers`` or sideways to another unit of the same line."""
    problems = []
    for importer, imported in sorted(edges):
        if (importer, imported) in ALLOWED or importer == "intake" or imported == "intake":
            continue
        a, b = unit_of(importer, layers), unit_of(imported, layers)
        if a is None or b is None:
            missing = importer if a is None else imported
            problems.append(f"{missing} is in no line of LAYERS: give it its place")
        elif a[1] != b[1] and b[0] <= a[0]:
            way = "sideways" if a[0] == b[0] else "upward"
            problems.append(f"{importer} imports {imported}: {way} ({a[1]} → {b[1]})")
    return problems


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def cycles(edges) -> list[str]:
    """Cycles between modules, and between packages: an edge ``a.x.m → a.y.n`` is also an
    edge between the siblings ``a.x → a.y`` that contain them."""
    edges = {edge for edge in edges if edge not in ALLOWED}
    modules: dict[str, set[str]] = {}
    siblings: dict[str, set[str]] = {}
    for importer, imported in edges:
        modules.setdefault(importer, set()).add(imported)
        a, b = importer.split("."), imported.split(".")
        common = 0
        while common < min(len(a), len(b)) and a[common] == b[common]:
            common += 1
        if common < len(a) and common < len(b):  # neither contains the other
            top_a, top_b = ".".join(a[: common + 1]), ".".join(b[: common + 1])
            if (top_a, top_b) != (importer, imported):
                siblings.setdefault(top_a, set()).add(top_b)
    problems = [f"modules import each other: {' ↔ '.join(c)}" for c in _cycles(modules)]
    problems += [f"packages import each other: {' ↔ '.join(c)}" for c in _cycles(siblings)]
    return problems


def private_names(sources: dict[str, str]) -> list[str]:
    """``from intake.x import _name`` in another module: a shared helper needs a public name."""
    problems = []
    for name, source in sources.items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("intake"):
                for alias in node.names:
                    if alias.name.startswith("_") and node.module != name:
                        problems.append(f"{name} imports {node.module}.{alias.name}")
    return problems


# The rules hold for intake.


def test_intake_has_no_import_cycle():
    assert cycles(imports(module_sources())) == []


def test_intake_packages_import_only_downward():
    assert upward(imports(module_sources()), LAYERS) == []


def test_no_module_borrows_another_modules_private_name():
    assert private_names(module_sources()) == []


def test_the_order_is_the_one_docs_architecture_writes_down():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- layers -->\n```\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md lost its block of layers"
    written = [
        ["intake." + unit for unit in line.split("#")[0].split()]
        for line in block[1].splitlines()
        if line.split("#")[0].strip()
    ]
    assert written == LAYERS


# The checks can fail: fed a made-up package, they report what is wrong.

MADE_UP_LAYERS = [["intake.top"], ["intake.middle"], ["intake.bottom", "intake.beside"]]


def test_an_upward_import_is_reported():
    sources = {
        "intake.top": "from intake.middle import x\n",
        "intake.middle": "def f():\n    from intake.top import y  # hidden in a function\n",
        "intake.bottom": "",
        "intake.beside": "",
    }
    assert upward(imports(sources), MADE_UP_LAYERS) == [
        "intake.middle imports intake.top: upward (intake.middle → intake.top)"
    ]


def test_a_sideways_import_and_an_unplaced_module_are_reported():
    sources = {
        "intake.bottom": "import intake.beside\n",
        "intake.beside": "",
        "intake.stray": "from intake.bottom import z\n",
    }
    assert upward(imports(sources), MADE_UP_LAYERS) == [
        "intake.bottom imports intake.beside: sideways (intake.bottom → intake.beside)",
        "intake.stray is in no line of LAYERS: give it its place",
    ]


def test_a_cycle_between_modules_is_reported_even_through_relative_imports():
    sources = {
        "intake.top": "",
        "intake.top.a": "from .b import x\n",
        "intake.top.b": "def f():\n    from intake.top import a\n",
    }
    assert cycles(imports(sources)) == ["modules import each other: intake.top.a ↔ intake.top.b"]


def test_a_cycle_between_packages_is_reported():
    sources = {
        "intake.top": "",
        "intake.top.one": "",
        "intake.top.one.x": "from intake.top.two.y import f\n",
        "intake.top.two": "",
        "intake.top.two.y": "",
        "intake.top.two.z": "from intake.top.one.w import g\n",
        "intake.top.one.w": "",
    }
    assert cycles(imports(sources)) == [
        "packages import each other: intake.top.one ↔ intake.top.two"
    ]


def test_a_borrowed_private_name_is_reported():
    sources = {"intake.a": "def _helper(): ...\n", "intake.b": "from intake.a import _helper\n"}
    assert private_names(sources) == ["intake.b imports intake.a._helper"]
