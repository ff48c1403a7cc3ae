#!/usr/bin/env bash
# Serve the dashboard. One command for every host: `make run` calls it after the
# bootstrap, and Railway's start command is `bash scripts/serve.sh`.
#
#   PORT    port to listen on (Railway sets it; default 8501)
#   HOST    address to bind. Default: 0.0.0.0 (every interface) when DATABASE_URL is set, as on
#           Railway, whose health check and proxy need it; else 127.0.0.1 (loopback: the embedded
#           local database and its open Admin page stay on this computer).
#   PYTHON  interpreter to use (default: .venv/bin/python if present, else python3)
#
# It runs `streamlit run app.py`: app.py wraps dashboard.py in Streamlit's ASGI app (st.App) with
# the guards in front of Streamlit's own endpoints (server/guard.py). Every URL, direct links
# too, still goes through dashboard.py's st.navigation (app_pages/ is not the legacy pages/ folder).
# Extra arguments are passed on to `streamlit run`.
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

if [ -z "${HOST:-}" ]; then
    if [ -n "${DATABASE_URL:-}" ]; then HOST=0.0.0.0; else HOST=127.0.0.1; fi
fi

# Client addresses come from app.py's ClientAddressMiddleware, which reads proxy headers only from
# MTM_TRUSTED_PROXIES; uvicorn's own X-Forwarded-For handling (trusting loopback) is switched off
# so that the two never disagree.
export FORWARDED_ALLOW_IPS=""

exec "$PY" -m streamlit run app.py \
    --server.port "${PORT:-8501}" \
    --server.address "$HOST" \
    --server.headless true \
    "$@"
