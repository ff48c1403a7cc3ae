"""The served app's Streamlit settings (.streamlit/config.toml) are fit for a public server."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG_FILE = ROOT / ".streamlit" / "config.toml"


@pytest.fixture(scope="module")
def config() -> dict:
    with CONFIG_FILE.open("rb") as fh:
        return tomllib.load(fh)


def test_xsrf_protection_on(config):
    assert config["server"]["enableXsrfProtection"] is True


def test_cors_on(config):
    assert config["server"]["enableCORS"] is True


def test_usage_stats_off(config):
    assert config["browser"]["gatherUsageStats"] is False


def test_upload_limit_fits_spotify_exports(config):
    limit = config["server"]["maxUploadSize"]  # MB
    assert isinstance(limit, int) and not isinstance(limit, bool)
    assert limit >= 1024


def test_no_file_watching_or_rerun_on_save(config):
    assert config["server"]["fileWatcherType"] == "none"
    assert config["server"]["runOnSave"] is False


def test_headless(config):
    assert config["server"]["headless"] is True


def test_plain_streamlit_run_listens_on_loopback(config):
    # serve.sh passes --server.address itself; this is for `streamlit run dashboard.py` in development.
    assert config["server"]["address"] == "127.0.0.1"


def test_error_details_not_shown_to_users(config):
    value = config["client"]["showErrorDetails"]
    # "full" shows tracebacks; so does the legacy boolean `false` (it means "stacktrace"),
    # and `true` means "full". Only "type" or "none" keep tracebacks in the server log.
    assert value in ("none", "type"), value


def test_no_parent_origin_may_send_messages(config):
    # the default list lets Community Cloud pages that frame the app drive it through postMessage
    assert config["client"]["allowedOrigins"] == []


def test_toolbar_minimal(config):
    assert config["client"]["toolbarMode"] == "minimal"


def test_tables_offer_no_export_that_keeps_formulas(config):
    # st.dataframe's own "Download as CSV" writes cells unchanged; our CSV button neutralises them
    assert config["client"]["disableDataExport"] is True


def test_theme_spotify_green(config):
    assert config["theme"]["base"] == "light"
    assert config["theme"]["primaryColor"].upper() == "#1DB954"


def test_every_option_is_known_to_streamlit(config):
    st_config = pytest.importorskip("streamlit.config")
    # Every "section.option" Streamlit accepts.
    known = st_config._config_options_template
    unknown = [
        f"{section}.{name}"
        for section, options in config.items()
        for name in options
        if f"{section}.{name}" not in known
    ]
    assert not unknown, f"options Streamlit does not know: {unknown}"
    allowed = {opt.value for opt in st_config.ShowErrorDetailsConfigOptions}
    assert config["client"]["showErrorDetails"] in allowed


def test_streamlit_applies_the_file(tmp_path):
    """`streamlit config show` from the repo root reports our values as in effect."""
    pytest.importorskip("streamlit")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env["HOME"] = str(tmp_path)  # no global ~/.streamlit/config.toml in the way
    out = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    effective = {
        line.strip() for line in out.splitlines() if not line.lstrip().startswith("#")
    }
    for expected in (
        "headless = true",
        'address = "127.0.0.1"',
        "enableXsrfProtection = true",
        "enableCORS = true",
        'fileWatcherType = "none"',
        "runOnSave = false",
        "maxUploadSize = 1024",
        "gatherUsageStats = false",
        'showErrorDetails = "none"',
        'toolbarMode = "minimal"',
        "disableDataExport = true",
        'primaryColor = "#1DB954"',
        "magicEnabled = false",
    ):
        assert expected in effective, f"{expected!r} not in effect"


def test_no_magic(config):
    # the pages draw only through st.* calls; magic would rewrite every script on each compile
    assert config["runner"]["magicEnabled"] is False
