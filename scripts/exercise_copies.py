"""Student copies of the exercise notebooks, generated from the solution notebooks (a maintainer's tool).

One source of truth per exercise: `exercises/solutions/exNN_<topic>.ipynb`. The learner's copy
`exercises/exNN_<topic>.ipynb` is generated from it, never edited by hand:

    python scripts/exercise_copies.py build   # (re)write every student copy
    python scripts/exercise_copies.py check   # exit 1 if a student copy differs from what build writes

It needs nbformat, which the `test` extra of pyproject.toml installs (`make setup` does); the
infogan_edu package itself does not import it.

How a solution notebook marks what the learner writes:

- a code cell tagged `solution` holds one or more top-level functions. In the student copy each keeps
  its `def` line (signature and type hints) and its docstring; the rest of its body becomes

      # ✏️ Your code here, in place of the raise below.
      raise NotImplementedError("Exercise N: write your answer here")

  The message is neutral on purpose: hints are shown only after a failed check. A `# HINT:` comment in a
  solution is refused (hints live in the check module, see below).
- N is the notebook metadata `exercise.number`, else the NN of the file name `exNN_...`.
- a code cell tagged `prediction` holds top-level assignments `name = <constant>  # why`, each below a comment
  line that asks the question and lists its options: the learner's predictions before an experiment. In the
  student copy every such value becomes `None`, and the comment after it, the solution's reasoning, becomes
  `# why?`; the question lines are kept.
- a cell tagged `solution-only` (say, a remark on the solution) is left out of the student copy.
- hints: the check module `infogan_edu/exercises/exNN_<topic>.py` declares
  `HINTS = {"<function name>": ("hint 1", "hint 2", ...)}`. The check prints hint 1 when it fails; the
  notebook shows all of them collapsed (`<details>`) in a markdown cell tagged `hints`, with metadata
  `exercise.hints_for = "<function name>"`, right after the check cell of that function's `solution`
  cell. `hints` writes (or inserts) those cells in the solution notebooks from the module; `check`
  reports a hints cell that is missing or differs from the module.

Every student cell loses its outputs, execution count and run-time metadata; the `solution` tag
becomes `exercise` (and `prediction` becomes `prediction` plus `exercise`). The notebook keeps only its
kernelspec, the language's name and the `exercise` metadata, so re-executing the solutions elsewhere
(another Python version) changes nothing. The notebook is written by nbformat (sorted keys, one-space
indent): building twice gives the same bytes.

    python scripts/exercise_copies.py hints   # rewrite the hints cells of the solutions from the modules
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nbformat

SOLUTION_TAG = "solution"
STUDENT_TAG = "exercise"
SOLUTION_ONLY_TAG = "solution-only"
PREDICTION_TAG = "prediction"
HINTS_TAG = "hints"
STUB_MESSAGE = "write your answer here"
HINT_RE = re.compile(r"^\s*#\s*HINT:")
NAME_RE = re.compile(r"^ex(\d+)_[A-Za-z0-9_]+\.ipynb$")
LINE_LENGTH = 110  # the project's ruff line length: stubs must stay lint-clean
KEEP_CELL_METADATA = ("tags", "exercise")
DEFAULT_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class ExerciseSourceError(ValueError):
    """A solution notebook cannot be turned into a student copy (the message says which cell and why)."""


# ------------------------------------------------------------------------------------- stubs
def _stub_lines(indent: str, number: int) -> list[str]:
    """`raise NotImplementedError("Exercise N: write your answer here")`, with a line saying what to do."""
    todo = f"{indent}# ✏️ Your code here, in place of the raise below."
    return [todo, f'{indent}raise NotImplementedError("Exercise {number}: {STUB_MESSAGE}")']


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _function_span(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int, str]:
    """0-based [start, end) of the lines to replace in `node` (body after the docstring) and the
    indentation of its body."""
    body = node.body
    first = body[0]
    indent = " " * first.col_offset
    if lines[first.lineno - 1][: first.col_offset].strip():
        raise ExerciseSourceError(f"put the body of {node.name}() on its own lines, below the def")
    has_doc = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    if has_doc:
        start = first.end_lineno  # the line after the docstring (0-based index)
    else:
        start = first.lineno - 1
        while start - 1 >= 0 and (not lines[start - 1].strip() or lines[start - 1].lstrip().startswith("#")):
            start -= 1  # comments between the def line and the first statement belong to the body
    end = node.end_lineno
    j = end
    while j < len(lines):  # trailing comments indented inside the function belong to it too
        text = lines[j]
        if not text.strip():
            j += 1
            continue
        if text.lstrip().startswith("#") and len(text) - len(text.lstrip()) > node.col_offset:
            j += 1
            end = j
            continue
        break
    return start, end, indent


def stub_source(source: str, number: int) -> str:
    """Replace the body of every top-level function in `source` by a NotImplementedError stub,
    keeping its decorators, signature and docstring (and everything outside the functions)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise ExerciseSourceError(f"a solution cell is not valid Python ({e.msg}, line {e.lineno})") from None
    functions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not functions:
        raise ExerciseSourceError("a cell tagged 'solution' must define at least one top-level function")
    lines = source.splitlines()
    if any(HINT_RE.match(line) for line in lines):
        raise ExerciseSourceError(
            "a '# HINT:' comment: hints are shown only after a failed check; declare them in the check "
            "module's HINTS and run `python scripts/exercise_copies.py hints`"
        )
    for node in sorted(functions, key=lambda n: n.lineno, reverse=True):
        start, end, indent = _function_span(lines, node)
        lines[start:end] = _stub_lines(indent, number)
    out = "\n".join(lines)
    return out + "\n" if source.endswith("\n") else out


def blank_predictions(source: str) -> str:
    """Set the value of every top-level `name = <constant>` in a prediction cell to None. A comment after the value
    is the solution's reasoning: it becomes `# why?`. Comment lines of their own (the questions) are kept."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise ExerciseSourceError(f"a prediction cell is not valid Python ({e.msg}, line {e.lineno})") from None
    assigns = [n for n in tree.body if isinstance(n, ast.Assign)]
    if not assigns or len(assigns) != len(tree.body):
        raise ExerciseSourceError("a cell tagged 'prediction' must hold only assignments `name = <constant>`")
    lines = source.splitlines()
    for node in sorted(assigns, key=lambda n: n.lineno, reverse=True):
        value = node.value
        if not isinstance(value, ast.Constant) or value.lineno != value.end_lineno:
            raise ExerciseSourceError(f"line {node.lineno}: a prediction is one constant on one line")
        line = lines[value.lineno - 1]
        rest = line[value.end_col_offset :]
        if rest.strip() and not rest.strip().startswith("#"):
            raise ExerciseSourceError(f"line {node.lineno}: a prediction is one constant on one line")
        lines[value.lineno - 1] = line[: value.col_offset] + "None" + ("  # why?" if rest.strip() else "")
    out = "\n".join(lines)
    return out + "\n" if source.endswith("\n") else out


# --------------------------------------------------------------------------------------- hints
def check_module_hints(path: Path) -> dict[str, tuple[str, ...]]:
    """The HINTS of the check module named after the notebook (`infogan_edu.exercises.<stem>`)."""
    module = importlib.import_module(f"infogan_edu.exercises.{path.stem}")
    return dict(getattr(module, "HINTS", {}))


def hints_markdown(task: str, hints: Sequence[str]) -> str:
    from infogan_edu.exercises._checks import hints_markdown as render_hints

    return render_hints(task, hints)


def _solution_function_names(cell: nbformat.NotebookNode) -> list[str]:
    tree = ast.parse(cell.source)
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def with_hints(path: Path, nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of a solution notebook whose hints cells say exactly what the check module's HINTS say:
    after the check cell that follows each `solution` cell, one `hints` cell per function with hints."""
    hints = check_module_hints(path)
    out = copy.deepcopy(nb)
    old = [c for c in out.cells if HINTS_TAG in c.metadata.get("tags", [])]
    cells = [c for c in out.cells if HINTS_TAG not in c.metadata.get("tags", [])]
    by_task = {c.metadata.get("exercise", {}).get("hints_for"): c for c in old}
    new_cells = []
    pending: list[str] = []
    for cell in cells:
        new_cells.append(cell)
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and SOLUTION_TAG in tags:
            pending = [name for name in _solution_function_names(cell) if name in hints]
        elif cell.cell_type == "code" and "check" in tags and pending:
            for name in pending:
                hint_cell = by_task.get(name) or nbformat.v4.new_markdown_cell(
                    "", metadata={"tags": [HINTS_TAG], "exercise": {"hints_for": name}}
                )
                hint_cell.source = hints_markdown(name, hints[name])
                new_cells.append(hint_cell)
            pending = []
    out.cells = new_cells
    return out


def write_hints(root: Path | None = None) -> list[Path]:
    """Rewrite the hints cells of every solution notebook from its check module; returns the files changed."""
    root = root or default_root()
    changed = []
    for path in solution_paths(root):
        nb = nbformat.read(path, as_version=4)
        new = with_hints(path, nb)
        if render(new) != render(nb):
            nbformat.write(new, path)
            changed.append(path)
    return changed


# -------------------------------------------------------------------------------- notebooks
def exercise_number(path: Path, nb: nbformat.NotebookNode) -> int:
    """The exercise's number: notebook metadata `exercise.number`, else the NN of `exNN_*.ipynb`."""
    meta = nb.metadata.get("exercise", {})
    if "number" in meta:
        return int(meta["number"])
    m = NAME_RE.match(path.name)
    if not m:
        raise ExerciseSourceError(f"{path.name}: name it exNN_<topic>.ipynb or set metadata exercise.number")
    return int(m.group(1))


def student_notebook(solution: nbformat.NotebookNode, number: int, source_name: str) -> nbformat.NotebookNode:
    """The learner's copy of a solution notebook (a new object; `solution` is not modified)."""
    nb = nbformat.v4.new_notebook()
    nb.nbformat, nb.nbformat_minor = solution.nbformat, solution.nbformat_minor
    # only what does not depend on who executed the solution last (language_info.version would)
    meta = solution.metadata
    nb.metadata = {"kernelspec": copy.deepcopy(meta.get("kernelspec", DEFAULT_KERNELSPEC))}
    nb.metadata["language_info"] = {"name": meta.get("language_info", {}).get("name", "python")}
    nb.metadata["exercise"] = {
        **meta.get("exercise", {}),
        "number": number,
        "generated_from": source_name,
    }
    n_stubbed = 0
    for i, cell in enumerate(solution.cells):
        tags = list(cell.metadata.get("tags", []))
        if SOLUTION_ONLY_TAG in tags:
            continue
        meta = {k: copy.deepcopy(cell.metadata[k]) for k in KEEP_CELL_METADATA if k in cell.metadata}
        source = cell.source
        if cell.cell_type == "code" and SOLUTION_TAG in tags:
            try:
                source = stub_source(source, number)
            except ExerciseSourceError as e:
                raise ExerciseSourceError(f"{source_name}, cell {i}: {e}") from None
            meta["tags"] = [STUDENT_TAG if t == SOLUTION_TAG else t for t in tags]
            n_stubbed += 1
        elif cell.cell_type == "code" and PREDICTION_TAG in tags:
            try:
                source = blank_predictions(source)
            except ExerciseSourceError as e:
                raise ExerciseSourceError(f"{source_name}, cell {i}: {e}") from None
            meta["tags"] = [*tags, STUDENT_TAG]
            n_stubbed += 1
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(source, metadata=meta)
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(source, metadata=meta)
            if "attachments" in cell:
                new.attachments = copy.deepcopy(cell.attachments)
        else:
            new = nbformat.v4.new_raw_cell(source, metadata=meta)
        if "id" in cell:
            new.id = cell.id  # stable ids keep the generated file stable
        else:
            new.pop("id", None)
        nb.cells.append(new)
    if n_stubbed == 0:
        raise ExerciseSourceError(f"{source_name}: no code cell is tagged {SOLUTION_TAG!r} or {PREDICTION_TAG!r}")
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    """The notebook as the exact text written to disk."""
    nbformat.validate(nb)
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"


def default_root() -> Path:
    """The repository: the working directory when it has exercises/solutions, else this script's parent."""
    cwd = Path.cwd()
    if (cwd / "exercises" / "solutions").is_dir():
        return cwd
    return Path(__file__).resolve().parents[1]


def solution_paths(root: Path) -> list[Path]:
    return sorted((root / "exercises" / "solutions").glob("ex*.ipynb"))


def student_path(solution: Path) -> Path:
    """exercises/solutions/exNN_x.ipynb -> exercises/exNN_x.ipynb"""
    return solution.parent.parent / solution.name


def expected_student_copies(root: Path) -> dict[Path, str]:
    """Every student copy's path and the text `build` writes there."""
    out = {}
    for path in solution_paths(root):
        nb = nbformat.read(path, as_version=4)
        name = f"solutions/{path.name}"
        out[student_path(path)] = render(student_notebook(nb, exercise_number(path, nb), name))
    return out


def build(root: Path | None = None) -> list[Path]:
    """Write every student copy; returns the paths written."""
    root = root or default_root()
    written = []
    for path, text in expected_student_copies(root).items():
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def check(root: Path | None = None) -> list[str]:
    """Problems with the committed student copies (missing, out of date, or without a solution)."""
    root = root or default_root()
    expected = expected_student_copies(root)
    problems = []
    if not expected:
        problems.append(f"no solution notebooks found in {root / 'exercises' / 'solutions'}")
    for path, text in expected.items():
        rel = path.relative_to(root)
        if not path.exists():
            problems.append(f"{rel} is missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{rel} differs from what its solution notebook generates")
    for path in solution_paths(root):
        nb = nbformat.read(path, as_version=4)
        if render(with_hints(path, nb)) != render(nb):
            problems.append(
                f"{path.relative_to(root)}: its hints cells differ from the HINTS of "
                f"infogan_edu/exercises/{path.stem}.py (run `python scripts/exercise_copies.py hints`)"
            )
    for path in sorted((root / "exercises").glob("ex*.ipynb")):
        if path not in expected:
            problems.append(f"{path.relative_to(root)} has no solution notebook in exercises/solutions/")
    return problems


# --------------------------------------------------------------------- solutions as functions
def solution_namespace(path: Path, tags: Sequence[str] = ("setup", SOLUTION_TAG)) -> dict[str, Any]:
    """Run a solution notebook's cells with the given tags (IPython magics skipped) in a fresh
    namespace and return it: the reference functions the tests compare the checks against."""
    nb = nbformat.read(path, as_version=4)
    ns: dict[str, Any] = {"__name__": f"exercise_solution_{path.stem}"}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not set(tags) & set(cell.metadata.get("tags", [])):
            continue
        code = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        exec(compile(code, f"{path.name}[cell {i}]", "exec"), ns)  # our own notebooks, for the tests
    return ns


def solution_functions(path: Path) -> dict[str, Callable[..., Any]]:
    """The functions defined in a solution notebook's `solution` cells, by name."""
    nb = nbformat.read(path, as_version=4)
    names = []
    for cell in nb.cells:
        if cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            names += [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    ns = solution_namespace(path)
    return {name: ns[name] for name in names}


# ------------------------------------------------------------------------------------ the CLI
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python scripts/exercise_copies.py",
        description="Generate the student copies of the exercise notebooks from exercises/solutions/.",
    )
    parser.add_argument(
        "command",
        choices=["build", "check", "hints"],
        help="build: write the copies; check: compare; hints: write the solutions' hints cells from the modules",
    )
    parser.add_argument(
        "--root", type=Path, default=None, help="the repository (default: found automatically)"
    )
    args = parser.parse_args(argv)
    root = args.root or default_root()
    try:
        if args.command == "hints":
            for path in write_hints(root):
                print(f"wrote the hints cells of {path.relative_to(root)}")
            return 0
        if args.command == "build":
            for path in build(root):
                print(f"wrote {path.relative_to(root)}")
            return 0
        problems = check(root)
    except ExerciseSourceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if problems:
        for p in problems:
            print(f"stale: {p}", file=sys.stderr)
        print("run `python scripts/exercise_copies.py build` and commit the student copies", file=sys.stderr)
        return 1
    print(f"ok: {len(expected_student_copies(root))} student copies match their solutions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
