"""The generator stands apart (issue 17): ``csc_synthetic`` depends on nothing of ``csc`` but the extract contract,
and the pipeline never imports the generator; only ``csc generate`` (and the demo) may, inside a function.

Every module's imports are read with ``ast`` (``import``, ``from ... import``, relative imports and
``importlib.import_module("...")`` / ``__import__("...")`` with a literal name), so no import can hide.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPOSITORY = Path(__file__).resolve().parents[2]
INCLUDE = REPOSITORY / "include"
GENERATOR = "csc_synthetic"
# The only modules of csc that may import the generator, and only lazily (inside a function).
MAY_IMPORT_GENERATOR = {"csc.cli.generate", "csc.demo"}
# The only part of csc the generator may import.
GENERATOR_MAY_IMPORT = {"csc", "csc.contract"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, name: str) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import in the file at ``path`` (module ``name``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    top_level = {id(node) for node in tree.body}
    for node in tree.body:  # imports under a module-level if/try still run at import time
        if isinstance(node, ast.If | ast.Try):
            top_level.update(id(child) for child in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        eager = id(node) in top_level
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno, eager) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((module, node.lineno, eager))
            # `from csc import contract` imports csc.contract
            found.extend((f"{module}.{alias.name}", node.lineno, eager) for alias in node.names)
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__")))):
            found.append((node.args[0].value, node.lineno, eager))
    return found


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations_of_pipeline(files: list[tuple[Path, str]]) -> list[str]:
    found = {}
    for path, name in files:
        for module, line, eager in imports(path, name):
            if not is_within(module, GENERATOR) or (path, line) in found:
                continue
            if name not in MAY_IMPORT_GENERATOR:
                found[path, line] = f"{path}:{line}: {name} imports the generator ({module})"
            elif eager:
                found[path, line] = f"{path}:{line}: {name} imports the generator ({module}) at import time, not lazily"
    return list(found.values())


def violations_of_generator(files: list[tuple[Path, str]]) -> list[str]:
    found = {}
    for path, name in files:
        for module, line, _ in imports(path, name):
            if is_within(module, "csc") and (path, line) not in found and not any(
                    module == allowed or (allowed != "csc" and is_within(module, allowed))
                    for allowed in GENERATOR_MAY_IMPORT):
                found[path, line] = f"{path}:{line}: the generator module {name} imports {module}"
    return list(found.values())


def test_the_generator_is_a_package_beside_csc():
    assert (INCLUDE / GENERATOR / "__init__.py").is_file()
    assert not (INCLUDE / "csc" / "synthetic").exists()


def test_no_pipeline_module_imports_the_generator():
    files = [(p, module_name(p, INCLUDE)) for p in python_files(INCLUDE / "csc")]
    files += [(p, "dags." + p.stem) for p in python_files(REPOSITORY / "dags")]
    assert len(files) > 50
    assert violations_of_pipeline(files) == []


def test_the_generator_imports_nothing_of_csc_but_the_contract():
    files = [(p, module_name(p, INCLUDE)) for p in python_files(INCLUDE / GENERATOR)]
    assert len(files) > 10
    assert violations_of_generator(files) == []
    # and it does use the contract (the only link between the two)
    assert any(module == "csc.contract" for path, name in files for module, _, _ in imports(path, name))


def test_the_checks_catch_a_wrong_import(tmp_path: Path):
    """The two checks above fail when an import goes the wrong way (so a green run means something)."""
    pipeline = tmp_path / "loader.py"
    pipeline.write_text("from csc_synthetic import truth\n")
    lazy_ok = tmp_path / "generate.py"
    lazy_ok.write_text("def run():\n    from csc_synthetic import generate\n")
    eager = tmp_path / "demo.py"
    eager.write_text("import csc_synthetic.seeds\n")
    dynamic = tmp_path / "report.py"
    dynamic.write_text("import importlib\nmod = importlib.import_module('csc_synthetic.truth')\n")
    assert len(violations_of_pipeline([(pipeline, "csc.ingest.loader"), (lazy_ok, "csc.cli.generate"),
                                       (eager, "csc.demo"), (dynamic, "csc.returns.report")])) == 3

    generator = tmp_path / "calendar.py"
    generator.write_text("from csc.contract import load_contract\nfrom csc import settings\n"
                         "from csc.quality.catalogue import load_catalogue\n")
    relative = tmp_path / "codes.py"
    relative.write_text("from . import ids\nfrom .config import load_config\n")
    assert [v.split(": ", 1)[1] for v in violations_of_generator(
        [(generator, "csc_synthetic.calendar"), (relative, "csc_synthetic.codes")])] == [
        "the generator module csc_synthetic.calendar imports csc.settings",
        "the generator module csc_synthetic.calendar imports csc.quality.catalogue",
    ]
