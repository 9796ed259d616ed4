"""The shape of apps/ that the README's architecture section promises: no file over 400 lines,
no function over 80, and imports at module level only (the import-linter contract in
pyproject.toml, run by `make test`, checks where they point)."""

import ast
from pathlib import Path

APPS = Path(__file__).resolve().parents[2] / "apps"
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 80
# Imports inside a function, each with its reason. AppConfig.ready() bodies are allowed as a
# rule: Django requires app modules to be imported after the registry is ready.
LOCAL_IMPORTS_ALLOWED: dict[str, str] = {}


def _sources() -> list[Path]:
    return sorted(p for p in APPS.rglob("*.py") if "migrations" not in p.parts)


def _name(path: Path) -> str:
    return str(path.relative_to(APPS.parent)) if path.is_relative_to(APPS.parent) else path.name


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_no_file_is_over_400_lines():
    long = {_name(p): n for p in _sources() if (n := p.read_text().count("\n")) > MAX_FILE_LINES}
    assert long == {}


def test_no_function_is_over_80_lines():
    long = {
        f"{_name(p)}:{fn.lineno} {fn.name}": fn.end_lineno - fn.lineno + 1
        for p in _sources()
        for fn in _functions(ast.parse(p.read_text()))
        if fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES
    }
    assert long == {}


def _local_imports(path: Path) -> list[str]:
    found = []
    for fn in _functions(ast.parse(path.read_text())):
        if path.name == "apps.py" and fn.name == "ready":
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append(f"{_name(path)}:{fn.name}: {ast.unparse(node)}")
    return found


def test_imports_inside_functions_are_only_the_listed_ones():
    found = sorted({line for p in _sources() for line in _local_imports(p)})
    assert found == sorted(LOCAL_IMPORTS_ALLOWED)
    assert all(reason.strip() for reason in LOCAL_IMPORTS_ALLOWED.values())


def test_the_checks_see_what_they_measure(tmp_path):
    assert APPS.is_dir()
    assert len(_sources()) > 100
    # The walkers find a local import, a long function and a ready() body they must skip.
    module = tmp_path / "apps.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    module.write_text("def ready():\n    import os\n\n\ndef f():\n    import sys\n" + body + "\n")
    tree = ast.parse(module.read_text())
    lengths = {fn.name: fn.end_lineno - fn.lineno + 1 for fn in _functions(tree)}
    assert lengths == {"ready": 2, "f": MAX_FUNCTION_LINES + 2}
    assert _local_imports(module) == ["apps.py:f: import sys"]


def _service_modules() -> list[Path]:
    return [
        p
        for p in _sources()
        if "services" in p.parts or p.name == "services.py" or p.name.endswith("_services.py")
    ]


def test_services_take_typed_arguments_never_the_wire_params():
    # The API parses Stripe's wire parameters (``params``) into typed values; a service
    # taking the dict back would let the wire format decide inside the domain.
    takes_params = sorted(
        f"{_name(p)}:{fn.lineno} {fn.name}"
        for p in _service_modules()
        for fn in _functions(ast.parse(p.read_text()))
        if any(a.arg == "params" for a in [*fn.args.args, *fn.args.kwonlyargs])
    )
    assert _service_modules()
    assert takes_params == []
