"""Offline checks of the Railway deploy.

.railway/railway.py is Railway Infrastructure as Code (Python authoring, `railway-sdk`):
the Railway CLI imports it, calls `main()` and sends `.to_graph()` to Railway. With the
SDK installed (requirements-dev.txt) these tests evaluate it the same way; without it
they fall back to reading the file's syntax tree.
"""

from __future__ import annotations

import ast
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAILWAY_PY = ROOT / ".railway" / "railway.py"
SERVE_SH = ROOT / "scripts" / "serve.sh"
HEALTH_PATH = "/_stcore/health"

# What the Railway CLI runs to evaluate .railway/railway.py (python3 -c wrapper).
CLI_EVAL = r"""
import importlib.util, json, sys
path = sys.argv[1]
spec = importlib.util.spec_from_file_location("railway_sdk_user", path)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
partial = getattr(mod, "PARTIAL", None) or getattr(mod, "Partial", None) or getattr(mod, "partial", None)
candidate = getattr(mod, "main", None) or getattr(mod, "Railway", None) or getattr(mod, "default", None)
project = candidate() if callable(candidate) else candidate
if hasattr(project, "to_graph"):
    project = project.to_graph()
print(json.dumps({"partial": partial, "project": project}, default=str))
"""


# --- the file itself, no SDK needed ---------------------------------------------------


def _tree() -> ast.Module:
    return ast.parse(RAILWAY_PY.read_text(), filename=str(RAILWAY_PY))


def _constants() -> dict[str, object]:
    out = {}
    for node in _tree().body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = node.value.value
    return out


def test_railway_py_is_iac_in_the_sdk_shape():
    tree = _tree()
    imported = {
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "railway_sdk"
        for alias in node.names
    }
    assert {"define_railway", "project", "service", "postgres"} <= imported
    mains = [
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"
    ]
    assert mains, "the CLI calls a top-level main()"
    decorators = [d.id for d in mains[0].decorator_list if isinstance(d, ast.Name)]
    assert "define_railway" in decorators
    # One file owns the whole project: no named partial.
    assert "PARTIAL" not in _constants()


def test_start_command_is_the_serve_script():
    assert shlex.split(_constants()["START_COMMAND"]) == ["bash", "scripts/serve.sh"]


def test_healthcheck_path_is_streamlit_health():
    assert _constants()["HEALTHCHECK_PATH"] == HEALTH_PATH


def test_no_legacy_config_as_code():
    # railway.json / railway.toml are deprecated, and a service managed by them
    # cannot also be managed by .railway/railway.py.
    assert not (ROOT / "railway.json").exists()
    assert not (ROOT / "railway.toml").exists()


def test_railpack_inputs():
    # Railpack detects Python by requirements.txt and reads the version from .python-version.
    assert (ROOT / ".python-version").read_text().strip() == "3.11"
    requirements = (ROOT / "requirements.txt").read_text().lower()
    assert "streamlit" in requirements and "psycopg2-binary" in requirements
    assert "railway-sdk" in (ROOT / ".railway" / "requirements.txt").read_text()


# --- evaluated like the Railway CLI does ----------------------------------------------


def _evaluate(extra_env: dict[str, str] | None = None) -> dict:
    pytest.importorskip("railway_sdk")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MTM_GITHUB_")}
    env.update(extra_env or {})
    out = subprocess.run(
        [sys.executable, "-c", CLI_EVAL, str(RAILWAY_PY)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def graph() -> dict:
    payload = _evaluate()
    assert payload["partial"] is None
    return payload["project"]


def _by_type(graph: dict, kind: str) -> list[dict]:
    return [r for r in graph["resources"] if r["type"] == kind]


@pytest.fixture(scope="module")
def web(graph) -> dict:
    services = _by_type(graph, "service")
    assert len(services) == 1, services
    return services[0]


@pytest.fixture(scope="module")
def db(graph) -> dict:
    databases = _by_type(graph, "database")
    assert len(databases) == 1, databases
    return databases[0]


def test_graph_start_command(web):
    assert shlex.split(web["deploy"]["startCommand"]) == ["bash", "scripts/serve.sh"]


def test_graph_healthcheck(web):
    assert web["deploy"]["healthcheckPath"] == HEALTH_PATH
    assert web["deploy"]["healthcheckTimeout"] >= 60


def test_graph_restart_on_failure(web):
    assert web["deploy"]["restartPolicyType"] == "ON_FAILURE"
    assert web["deploy"]["restartPolicyMaxRetries"] > 0


def test_graph_schema_applied_before_deploy(web):
    assert web["deploy"]["preDeployCommand"] == ["python -m migrate.bootstrap"]


def test_graph_builds_with_railpack(web):
    assert web["build"]["builder"] == "RAILPACK"


def test_graph_database_url_references_postgres(web, db):
    assert db["engine"] == "postgres"
    assert web["variables"]["DATABASE_URL"] == {
        "type": "reference",
        "resource": db["address"],
        "output": "DATABASE_URL",
    }


def test_graph_holds_no_secret_values(web):
    # The admin password is set in Railway and preserved; no literal is in the repo.
    assert web["variables"]["ADMIN_PASSWORD"] == {"type": "preserve"}
    literals = {k: v.get("value") for k, v in web["variables"].items() if v.get("type") == "literal"}
    # Literals: the switch that keeps demo data out of a hosted database, and Railway's edge proxy
    # as the one source of client addresses (X-Real-IP) for the Admin page's limits on guessing.
    assert literals == {"MTM_NO_DEMO": "1", "MTM_TRUSTED_PROXIES": "*"}


def test_graph_github_source_from_environment():
    assert "source" not in next(
        r for r in _evaluate()["project"]["resources"] if r["type"] == "service"
    )
    payload = _evaluate({"MTM_GITHUB_REPO": "someone/music-time-machine"})
    service = next(r for r in payload["project"]["resources"] if r["type"] == "service")
    assert service["source"] == {
        "type": "github",
        "repo": "someone/music-time-machine",
        "branch": "main",
    }


# --- scripts/serve.sh ---------------------------------------------------------------


def test_serve_script_is_executable_and_uses_port():
    assert SERVE_SH.is_file()
    assert SERVE_SH.stat().st_mode & stat.S_IXUSR, "chmod +x scripts/serve.sh"
    text = SERVE_SH.read_text()
    assert text.startswith("#!/usr/bin/env bash")
    assert "${PORT" in text


def _serve_run(tmp_path: Path, **env_overrides: str) -> tuple[list[str], dict[str, str]]:
    """Run serve.sh with a stand-in python that prints its arguments, then its environment."""
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\necho ---\nenv\n')
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PORT", "HOST", "DATABASE_URL", "FORWARDED_ALLOW_IPS")}
    env.update(PYTHON=str(fake), **env_overrides)
    out = subprocess.run(
        ["bash", str(SERVE_SH)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.splitlines()
    cut = out.index("---")
    environment = dict(line.split("=", 1) for line in out[cut + 1:] if "=" in line)
    return out[:cut], environment


def _serve_argv(tmp_path: Path, **env_overrides: str) -> list[str]:
    return _serve_run(tmp_path, **env_overrides)[0]


def _flags(argv: list[str]) -> dict[str, str]:
    return dict(zip(argv[4::2], argv[5::2]))


def test_serve_runs_the_guarded_app_on_port_headless(tmp_path):
    argv = _serve_argv(tmp_path, PORT="43210")
    # app.py: st.App around dashboard.py with the guards (app_pages/ is not the legacy pages/ folder).
    assert argv[:4] == ["-m", "streamlit", "run", "app.py"]
    assert _flags(argv) == {
        "--server.port": "43210",
        "--server.address": "127.0.0.1",
        "--server.headless": "true",
    }


def test_serve_binds_loopback_locally_and_every_interface_with_a_database_url(tmp_path):
    assert _flags(_serve_argv(tmp_path))["--server.address"] == "127.0.0.1"
    hosted = _serve_argv(tmp_path, DATABASE_URL="postgresql://u:p@db.railway.internal/railway")
    assert _flags(hosted)["--server.address"] == "0.0.0.0"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "127.0.0.1"])
def test_serve_honours_host(tmp_path, host):
    assert _flags(_serve_argv(tmp_path, HOST=host))["--server.address"] == host
    assert _flags(_serve_argv(tmp_path, HOST=host, DATABASE_URL="postgresql://x/y"))["--server.address"] == host


def test_serve_switches_off_uvicorns_own_proxy_headers(tmp_path):
    # Client addresses are decided by app.py's middleware (MTM_TRUSTED_PROXIES) alone.
    assert _serve_run(tmp_path, FORWARDED_ALLOW_IPS="*")[1]["FORWARDED_ALLOW_IPS"] == ""


def test_serve_defaults_to_8501(tmp_path):
    argv = _serve_argv(tmp_path)
    assert argv[argv.index("--server.port") + 1] == "8501"


def test_app_py_is_an_st_app_around_dashboard_py():
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app and found.import_string == "app:app"
    assert 'st.App(\n    "dashboard.py"' in (ROOT / "app.py").read_text()


def test_serve_runs_from_repo_root(tmp_path):
    # Railway and make may start it from anywhere; it must find dashboard.py and .streamlit/.
    assert 'cd "$(dirname "${BASH_SOURCE[0]}")/.."' in SERVE_SH.read_text()


# --- make uses the same serve command --------------------------------------------------


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_run_bootstraps_then_serves():
    # Under `make test` this make is nested: MAKEFLAGS would add "Entering/Leaving directory" lines.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    out = subprocess.run(
        ["make", "--no-print-directory", "-n", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    assert out[-2:] == [
        ".venv/bin/python -m migrate.bootstrap",
        "bash scripts/serve.sh",
    ]
