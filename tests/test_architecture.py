"""One direction of dependency: every import (module-level and inside functions) runs from a
higher layer to a lower one, as the layers below say; hot modules import only at module top."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "ndgrad"

# Lowest first. A module may import from its own layer and from the layers below it, never from
# above. A name matches that module and everything under it; the longest match wins, and a module
# that matches nothing belongs to "libraries". Tensor is below the graph and the ops (they bind
# methods onto it), the engine is below the ops (forward AD runs ops through `grad`), and the
# parts of autograd written with ops (custom Functions, autograd.functional) are above them.
LAYERS = [
    ("leaves", ["_dtype", "_hooks", "_printing", "_random_kernels", "autograd.grad_mode",
                "autograd.anomaly", "_device", "_memory_format"]),
    ("tensor", ["_tensor"]),
    ("graph", ["_broadcast", "_random", "_creation", "autograd.graph", "autograd.saved_hooks",
               "_out", "_factory", "_legacy_types"]),
    ("engine", ["autograd"]),
    ("ops", ["_ops"]),
    ("autograd API over ops", ["autograd.function", "autograd.functional", "autograd.profiler"]),
    ("libraries", ["nn", "optim", "func", "utils", "linalg", "serialization"]),
    ("top", ["", "demo"]),  # "": ndgrad/__init__.py
]
DEFAULT_LAYER = "libraries"
# A library may take the whole torch-like namespace as a value (`import ndgrad` inside a function,
# e.g. ndgrad.testing runs one function with ndgrad and with torch): the root always runs first.
NAMESPACE_USERS = {"libraries"}

# modules on the hot path: every ndgrad import at module top, none inside a function
HOT = ["_tensor", "_broadcast", "autograd", "autograd._backward", "autograd.engine",
       "autograd.graph", "autograd.grad_mode", "autograd.forward_ad", "autograd.saved_hooks",
       "autograd.anomaly", "autograd.function", "_ops._registry", "_ops._forward",
       "_ops._promote", "_ops._codegen", "_ops.inplace", "_ops.linalg"]

_RANK = {name: i for i, (name, _) in enumerate(LAYERS)}


def layer_of(module: str) -> str:
    """The layer of a module named relative to ndgrad ("" is the package itself)."""
    best, best_len = DEFAULT_LAYER, -1
    for name, prefixes in LAYERS:
        for p in prefixes:
            if (module == p or p == "" and module == "" or p and module.startswith(p + ".")) \
                    and len(p) > best_len:
                best, best_len = name, len(p)
    return best


def _modules() -> dict[str, Path]:
    out = {}
    for path in PKG.rglob("*.py"):
        parts = list(path.relative_to(PKG).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(importer: str, is_pkg: bool, level: int, name: str | None) -> str | None:
    """An import's target relative to ndgrad, or None when it is outside ndgrad."""
    if level == 0:
        if name != "ndgrad" and not (name or "").startswith("ndgrad."):
            return None
        return name[len("ndgrad."):] if name != "ndgrad" else ""
    parts = importer.split(".") if importer else []
    if not is_pkg:
        parts = parts[:-1]
    parts = parts[:len(parts) - (level - 1)]
    return ".".join(parts + ([name] if name else []))


def imports() -> list[tuple[str, str, int, str | None]]:
    """(importer, imported, line, enclosing function or None) for every ndgrad import."""
    found = []
    for mod, path in MODULES.items():
        is_pkg = path.name == "__init__.py"

        def visit(node: ast.AST, func: str | None) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    visit(child, child.name)
                elif isinstance(child, ast.Import):
                    for alias in child.names:
                        target = _resolve(mod, is_pkg, 0, alias.name)
                        if target is not None:
                            found.append((mod, target, child.lineno, func))
                elif isinstance(child, ast.ImportFrom):
                    base = _resolve(mod, is_pkg, child.level, child.module)
                    if base is None:
                        continue
                    for alias in child.names:  # `from . import x` imports the submodule x
                        sub = f"{base}.{alias.name}" if base else alias.name
                        found.append((mod, sub if sub in MODULES else base, child.lineno, func))
                else:
                    visit(child, func)

        visit(ast.parse(path.read_text()), None)
    return found


IMPORTS = imports()


def _packages_run(importer: str, target: str) -> list[str]:
    """Importing `a.b.c` first runs the __init__ of `a` and `a.b`: those that do not already
    contain the importer (the root package always runs first)."""
    parts = target.split(".")
    out = []
    for i in range(1, len(parts)):
        pkg = ".".join(parts[:i])
        if not (importer == pkg or importer.startswith(pkg + ".")):
            out.append(pkg)
    return out


def test_layers_name_existing_modules():
    for _, prefixes in LAYERS:
        for p in prefixes:
            assert p in MODULES, f"LAYERS names {p!r}, which is no module of ndgrad"
    for p in HOT:
        assert p in MODULES, f"HOT names {p!r}, which is no module of ndgrad"


def test_imports_run_downward():
    wrong = []
    for importer, target, line, func in IMPORTS:
        targets = [target] + (_packages_run(importer, target) if func is None else [])
        for t in targets:
            if t == "" and func is not None and layer_of(importer) in NAMESPACE_USERS:
                continue
            if _RANK[layer_of(t)] > _RANK[layer_of(importer)]:
                where = f" (inside {func})" if func else ""
                via = "" if t == target else f" (its package {t!r} runs first)"
                wrong.append(f"ndgrad.{importer or ''} [{layer_of(importer)}] line {line}{where} "
                             f"imports ndgrad.{target}{via} [{layer_of(t)}]")
    assert not wrong, (
        "imports that run upward (see LAYERS in tests/test_architecture.py; move the shared "
        "helper down, or have the higher layer bind what the lower one calls):\n"
        + "\n".join(sorted(set(wrong))))


def test_hot_modules_import_at_module_top():
    inside = [f"ndgrad.{m} line {line}: import of ndgrad.{t} inside {func}()"
              for m, t, line, func in IMPORTS if m in HOT and func is not None]
    assert not inside, "imports inside functions of hot modules:\n" + "\n".join(inside)


@pytest.mark.parametrize("module, layer", [
    ("_tensor", "tensor"), ("autograd.graph", "graph"), ("autograd.grad_mode", "leaves"),
    ("autograd", "engine"), ("autograd.engine", "engine"), ("autograd.gradcheck", "engine"),
    ("_ops.shape", "ops"), ("autograd.functional", "autograd API over ops"),
    ("func._vmap", "libraries"), ("nn.modules.linear", "libraries"), ("", "top"),
    ("some_new_module", "libraries"),
])
def test_layer_of(module, layer):
    assert layer_of(module) == layer


def test_the_check_catches_an_upward_import(tmp_path):
    """The rule itself: Tensor importing an op module, or autograd importing func, is caught."""
    assert _RANK[layer_of("_ops.inplace")] > _RANK[layer_of("_tensor")]
    assert _RANK[layer_of("func")] > _RANK[layer_of("autograd.functional")]
    assert _RANK[layer_of("_ops._registry")] > _RANK[layer_of("autograd.graph")]
    assert _packages_run("_tensor", "autograd.grad_mode") == ["autograd"]
    assert _packages_run("autograd.graph", "autograd.saved_hooks") == []
