#!/usr/bin/env bash
# Serve the dashboard. One command for every host: `make run` calls it after the
# bootstrap, and Railway's start command is `bash scripts/serve.sh`.
#
#   PORT    port to listen on (Railway sets it; default 8501)
#   HOST    address to bind (default 0.0.0.0, every interface)
#   PYTHON  interpreter to use (default: .venv/bin/python if present, else python3)
#
# Extra arguments are passed on to `streamlit run dashboard.py` (the page files live in app_pages/,
# not pages/, so Streamlit's legacy multipage convention never applies: every URL, direct links too,
# goes through dashboard.py's st.navigation, exactly as plain `streamlit run dashboard.py` does).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -n "${PYTHON:-}" ]; then
    PY="$PYTHON"
elif [ -x .venv/bin/python ]; then
    # Our venv locally; also where Railpack puts its venv (/app/.venv).
    PY=.venv/bin/python
else
    PY="$(command -v python3 || command -v python)"
fi

exec "$PY" -m streamlit run dashboard.py \
    --server.port "${PORT:-8501}" \
    --server.address "${HOST:-0.0.0.0}" \
    --server.headless true \
    "$@"
