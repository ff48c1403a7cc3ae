"""The benchmark and helper scripts are not run by the tests, so a name they import that has moved
would only fail for the next person who runs them (scripts/screenshots.py did). Every
`from <project module> import <name>` in bench/ and scripts/, inside functions too, must resolve."""
from __future__ import annotations

import ast
import importlib
import os

import pytest

from tests.helpers import ROOT

PROJECT = ("api", "bench", "db", "migrate", "scripts", "server", "ui")
FOLDERS = ("bench", "scripts")


def _imports():
    for folder in FOLDERS:
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if not name.endswith(".py") or name.startswith("_"):     # bench/_floor_app.py is a page
                continue
            path = os.path.join(ROOT, folder, name)
            tree = ast.parse(open(path, encoding="utf-8").read())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                        and node.module.split(".")[0] in PROJECT:
                    for alias in node.names:
                        yield f"{folder}/{name}:{node.lineno}", node.module, alias.name


@pytest.mark.parametrize("where,module,name", list(_imports()), ids=lambda v: str(v))
def test_project_import_resolves(where, module, name):
    imported = importlib.import_module(module)
    if not hasattr(imported, name):
        importlib.import_module(f"{module}.{name}")     # a submodule: `from bench import common`
