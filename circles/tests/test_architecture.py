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


def layers() -> list[tuple[list[str], bool]]:
    """The declared layers, top first: each a list of names (parentheses of apps to come removed) and
    whether those siblings are independent of each other ("|") or not (":")."""
    result = []
    for layer in STACK_CONTRACT["layers"]:
        names = [name.strip().strip("()") for name in re.split("[|:]", layer)]
        result.append((names, ":" not in layer))
    return result


def stack() -> list[str]:
    return [name for names, _independent in layers() for name in names]


def _height(app: str) -> int:
    """0 for the top layer; higher numbers sit lower. Siblings share a height."""
    return next(index for index, (names, _independent) in enumerate(layers()) if app in names)


def _may_use(owner: str, used: str) -> bool:
    """Whether code of `owner` may use `used`: its own, anything lower, a sibling only when dependent."""
    if owner == used or _height(used) > _height(owner):
        return True
    if _height(used) < _height(owner):
        return False
    (_names, independent) = layers()[_height(owner)]
    return not independent


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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(node: ast.AST, path: Path) -> list[str]:
    """The absolute names an import statement brings in (relative ones resolved, "from circles import
    alerts" read as circles.alerts)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        package = _module_name(path).split(".")
        if path.name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _sources() -> list[Path]:
    """The app's own code: everything in circles/ but the tests and migrations."""
    return [
        path
        for path in sorted((ROOT / "circles").rglob("*.py"))
        if not {"tests", "tests_browser", "migrations"} & set(path.relative_to(ROOT).parts)
    ]


def _imports(path: Path):
    """(node, absolute module names, whether the import stands at the top of the module) for a file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    at_top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        modules = _imported_modules(node, path)
        if modules:
            yield node, modules, id(node) in at_top


def _part_of_circles(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "circles" and len(parts) > 1 else None


def test_no_import_of_another_app_hides_inside_a_function():
    """Imports of another app stand at the top of the module, where a reader and the linter see them."""
    hidden = []
    for path in _sources():
        own = _part_of_circles(_module_name(path))
        for node, modules, at_top in _imports(path):
            for module in modules:
                part = _part_of_circles(module)
                if not at_top and part is not None and part != own:
                    hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {module}")
    assert hidden == [], "move these imports to the top of their module (docs/architecture.md)"


def test_no_code_imports_a_test_module():
    """Tests may import any app; the app's code importing a test module would carry that past the check."""
    into_tests = [
        f"{path.relative_to(ROOT)}:{node.lineno} imports {module}"
        for path in _sources()
        for node, modules, _at_top in _imports(path)
        for module in modules
        if module.startswith("circles.") and {"tests", "tests_browser"} & set(module.split("."))
    ]
    assert into_tests == []


def test_modules_are_found_by_name_only_where_the_docs_say():
    """records finds every app's personal_data.py by name (docs/architecture.md); nothing else may load
    a module by name, which the stack check could not see."""
    by_name = [
        str(path.relative_to(ROOT))
        for path in _sources()
        if re.search(r"\bimport_module\b|__import__|autodiscover_modules", path.read_text())
    ]
    assert by_name == ["circles/records/export.py"]


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
            if owner is None or folder not in stack() or not _may_use(owner, folder):
                upward.append(f"{path.relative_to(ROOT)} includes {included}")
    assert upward == [], "a page that shows several apps lives in the highest of them"


def test_siblings_in_the_stack_are_independent():
    """The apps to come side by side (plans, meetings, community) may not use each other."""
    assert _may_use("checkins", "network") and not _may_use("network", "checkins")
    assert not _may_use("plans", "meetings") and not _may_use("meetings", "plans")
    assert _may_use("meetings", "care") and not _may_use("care", "community")
