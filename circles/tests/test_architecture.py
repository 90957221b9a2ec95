"""The apps form one stack (pyproject.toml, [tool.importlinter]; docs/architecture.md).

`make test` runs `lint-imports` on the tree itself; these tests show that the check fails on what it
must refuse, and hold the two rules it cannot see: no import of another app hides inside a function,
and templates include only their own app's templates or those of apps below.
"""

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())
(STACK_CONTRACT,) = CONFIG["tool"]["importlinter"]["contracts"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def stack() -> list[str]:
    """The declared layers, top first, siblings flattened and the parentheses of apps to come removed."""
    return [
        name.strip().strip("()") for layer in STACK_CONTRACT["layers"] for name in re.split("[|:]", layer)
    ]


def _height(app: str) -> int:
    """0 for the top of the stack; higher numbers sit lower."""
    return stack().index(app)


def _lint_copy(tmp_path: Path, change=None) -> subprocess.CompletedProcess:
    """Runs lint-imports on a copy of the Python files, after `change(copy_root)`."""
    shutil.copytree(
        ROOT / "circles",
        tmp_path / "circles",
        ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "*.json"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    if change:
        change(tmp_path)
    return subprocess.run(  # noqa: S603 — our own linter, on our own files
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", "pyproject.toml"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_stack_holds_as_the_tree_stands(tmp_path):
    result = _lint_copy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_an_upward_import_inside_a_function_breaks_the_stack(tmp_path):
    def import_alerts_from_the_network(root: Path) -> None:
        _append(
            root / "circles/network/logic.py",
            "\n\ndef sneaky():\n    from circles.alerts import models  # noqa\n\n    return models\n",
        )

    result = _lint_copy(tmp_path, import_alerts_from_the_network)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout
    assert "circles.network.logic -> circles.alerts.models" in result.stdout


def test_identity_importing_a_domain_app_breaks_the_stack(tmp_path):
    def accounts_reads_sharing(root: Path) -> None:
        _append(root / "circles/accounts/models.py", "\nfrom circles.sharing.models import Consent  # noqa\n")

    result = _lint_copy(tmp_path, accounts_reads_sharing)
    assert result.returncode == 1
    assert "circles.accounts.models -> circles.sharing.models" in result.stdout


def test_a_new_app_must_be_placed_in_the_stack(tmp_path):
    def add_an_app(root: Path) -> None:
        (root / "circles/unplaced").mkdir()
        (root / "circles/unplaced/__init__.py").write_text("")

    result = _lint_copy(tmp_path, add_an_app)
    assert result.returncode == 1
    assert "circles.unplaced" in result.stdout


def _app_of(path: Path) -> str:
    """The top-level part of circles a file belongs to: an app, or a module such as urls."""
    return path.relative_to(ROOT / "circles").parts[0].removesuffix(".py")


def _sources() -> list[Path]:
    return [
        path
        for path in sorted((ROOT / "circles").rglob("*.py"))
        if not {"tests", "tests_browser", "migrations"} & set(path.relative_to(ROOT).parts)
    ]


def test_no_import_of_another_app_hides_inside_a_function():
    """Imports of another app stand at the top of the module, where a reader and the linter see them."""
    hidden = []
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        at_top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if id(node) in at_top:
                continue
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                if parts[0] == "circles" and len(parts) > 1 and parts[1] != _app_of(path):
                    hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {module}")
    assert hidden == [], "move these imports to the top of their module (docs/architecture.md)"


INCLUDE = re.compile(r"""\{%\s*(?:include|extends)\s+["']([^"']+)["']""")


def _template_owner(path: Path) -> str | None:
    """The app a template belongs to; None for the project's own templates (base layout, includes)."""
    parts = path.relative_to(ROOT / "circles").parts
    return parts[0] if parts[0] != "templates" else None


def test_templates_include_only_their_own_app_or_apps_below():
    upward = []
    for path in sorted((ROOT / "circles").rglob("templates/**/*.html")):
        owner = _template_owner(path)
        for included in INCLUDE.findall(path.read_text()):
            folder = included.split("/")[0] if "/" in included else None
            if folder is None or folder == "includes" or folder == owner:
                continue  # the project's base layout and includes, or the app's own
            if owner is None or folder not in stack() or _height(folder) < _height(owner):
                upward.append(f"{path.relative_to(ROOT)} includes {included}")
    assert upward == [], "a page that shows several apps lives in the highest of them"
