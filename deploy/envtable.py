"""Every environment variable config/settings.py reads, with its default and the comment above it.

    python deploy/envtable.py            # a Markdown table, the draft of docs/production.md's
    python deploy/envtable.py --names    # just the names, one a line

tests/ops/test_production_config.py checks that docs/production.md lists every name this finds.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SETTINGS = Path(__file__).resolve().parent.parent / "config" / "settings.py"
READERS = {"env_bool", "env_list", "get", "getenv"}


def _name_of_read(node: ast.AST) -> str | None:
    """The variable a call or subscript reads: os.environ.get("X"), os.getenv("X"),
    env_bool("X", …), env_list("X"), os.environ["X"]."""
    if isinstance(node, ast.Call):
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called == "get" and not (
            isinstance(func, ast.Attribute) and ast.unparse(func.value) == "os.environ"
        ):
            return None
        if called in READERS and node.args and isinstance(node.args[0], ast.Constant):
            value = node.args[0].value
            return value if isinstance(value, str) else None
    if (
        isinstance(node, ast.Subscript)
        and ast.unparse(node.value) == "os.environ"
        and isinstance(node.slice, ast.Constant)
    ):
        return str(node.slice.value)
    return None


def settings_variables(source: str | None = None) -> dict[str, tuple[str, str]]:
    """name -> (default as written, the comment block above the first statement reading it)."""
    text = source if source is not None else SETTINGS.read_text(encoding="utf-8")
    lines = text.splitlines()
    found: dict[str, tuple[str, str]] = {}
    for statement in ast.walk(ast.parse(text)):
        if not isinstance(statement, ast.stmt) or isinstance(statement, ast.FunctionDef):
            continue
        # An `if` reads in its test; its body's statements are visited on their own.
        for node in ast.walk(statement.test if isinstance(statement, ast.If) else statement):
            name = _name_of_read(node)
            if not name or name in found:
                continue
            default = ""
            if isinstance(node, ast.Call) and len(node.args) > 1:
                default = ast.unparse(node.args[1])
            comment: list[str] = []
            row = statement.lineno - 2
            while row >= 0 and lines[row].strip().startswith("#"):
                comment.insert(0, lines[row].strip().lstrip("#").strip())
                row -= 1
            found[name] = (default, " ".join(comment))
    return dict(sorted(found.items()))


def main() -> int:
    found = settings_variables()
    if "--names" in sys.argv:
        print("\n".join(found))
        return 0
    print("| Variable | Default | What |\n|---|---|---|")
    for name, (default, comment) in found.items():
        print(f"| `{name}` | `{default}` | {comment} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
