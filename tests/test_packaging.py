"""The two ways to install (pip via pyproject.toml, conda via environment.yml) must agree, and each
piece of code imports only what the install that serves it provides."""

import ast
import re
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from the PyPI names
CONDA_TO_PYPI = {"pytorch": "torch", "matplotlib-base": "matplotlib"}
NOT_PACKAGES = {"python", "pip"}
# import names whose PyPI distribution is named differently
IMPORT_TO_PYPI = {"PIL": "pillow", "sklearn": "scikit-learn"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def pyproject_runtime() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {_name(r) for r in data["project"]["dependencies"]}


def pyproject_test_extra() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {_name(r) for r in data["project"]["optional-dependencies"]["test"]}


def third_party_imports(path: Path) -> set[str]:
    """The PyPI names of the third-party modules `path` imports anywhere (lazy imports included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    names -= set(sys.stdlib_module_names) | {"__future__", "infogan_edu"}
    return {IMPORT_TO_PYPI.get(n, n).lower() for n in names}


def environment_runtime() -> tuple[set[str], list[str]]:
    names, pip_lines, in_pip, section = set(), [], False, ""
    for line in (ROOT / "environment.yml").read_text().splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if stripped and not stripped[0].isspace() and stripped.endswith(":"):
            section = stripped[:-1]
            continue
        if section != "dependencies" or not stripped.strip().startswith("- "):
            continue
        item = stripped.strip()[2:].strip()
        indent = len(stripped) - len(stripped.lstrip())
        if item == "pip:":
            in_pip = True
            continue
        if in_pip and indent > 2:
            pip_lines.append(item)
            continue
        in_pip = False
        name = _name(item)
        if name not in NOT_PACKAGES:
            names.add(CONDA_TO_PYPI.get(name, name))
    return names, pip_lines


def test_environment_yml_matches_pyproject() -> None:
    conda, _ = environment_runtime()
    pip = pyproject_runtime()
    assert conda == pip, (
        f"only in environment.yml: {sorted(conda - pip)}; only in pyproject.toml: {sorted(pip - conda)}"
    )


def test_environment_installs_package_editable_with_test_extras() -> None:
    _, pip_lines = environment_runtime()
    assert any(line.strip("'\"").startswith("-e") and "[test]" in line for line in pip_lines), pip_lines


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme
    assert re.search(r"^\s*make test\s*$", ci, re.M), "the CI script must run the README's test command"


def test_package_imports_only_runtime_dependencies() -> None:
    runtime = pyproject_runtime()
    for path in sorted((ROOT / "infogan_edu").rglob("*.py")):
        missing = third_party_imports(path) - runtime
        assert not missing, f"{path.relative_to(ROOT)} imports {sorted(missing)}, not in project.dependencies"


def test_exercise_generator_dependencies_are_in_the_test_extra() -> None:
    """scripts/exercise_copies.py is a maintainer's tool: what it needs beyond the runtime comes with [test]."""
    needed = third_party_imports(ROOT / "scripts" / "exercise_copies.py")
    assert "nbformat" in needed
    missing = needed - pyproject_runtime() - pyproject_test_extra()
    assert not missing, f"scripts/exercise_copies.py imports {sorted(missing)}, in neither the runtime nor [test]"
    assert '".[test]"' in (ROOT / "scripts" / "setup.sh").read_text(), "make setup must install the test extra"


def test_benchmark_dependencies_are_in_the_test_extra() -> None:
    """The benchmarks are maintainers' scripts: what they import beyond the runtime (tabulate, for the Markdown
    tables of benchmarks/_record.py) comes with [test], which make setup and environment.yml install."""
    # the clone's own modules: _record and the scripts that import each other, and the tests' helpers
    local = {path.stem for path in (ROOT / "benchmarks").glob("*.py")} | {"tests"}
    assert "tabulate" in third_party_imports(ROOT / "benchmarks" / "_record.py")
    allowed = pyproject_runtime() | pyproject_test_extra()
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        missing = third_party_imports(path) - local - allowed
        assert not missing, f"{path.relative_to(ROOT)} imports {sorted(missing)}, in neither the runtime nor [test]"
