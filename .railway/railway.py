"""Railway Infrastructure as Code for Music Time Machine (Python authoring, `railway-sdk`).

Why this file and not railway.json: Railway's CLI deprecates Config as Code
(railway.json / railway.toml, read until 2026-12-01) in favour of Infrastructure as
Code under .railway/. This file is not read on each deploy: the Railway CLI evaluates
it and applies the difference to the linked environment:

    pip install -r .railway/requirements.txt   # railway-sdk (also in requirements-dev.txt)
    railway login && railway link
    railway config plan                          # read-only preview
    railway config apply                         # asks before changing anything

Builds use Railpack: it detects Python from requirements.txt, takes the version from
.python-version (3.11) and installs into /app/.venv. It cannot guess a Streamlit start
command, so it is set here. See docs/DEPLOY.md.

Set MTM_GITHUB_REPO=owner/name (and MTM_GITHUB_BRANCH, default main) when running
`railway config plan/apply` to deploy from GitHub on every push; without it the
service has no source here (connect the repo in the dashboard, or `railway up`).
"""

import os

from railway_sdk import define_railway, github, postgres, preserve, project, service

PROJECT = "music-time-machine"
SERVICE = "dashboard"
DATABASE = "Postgres"  # Railway's usual name: the reference below is ${{Postgres.DATABASE_URL}}

# scripts/serve.sh runs `streamlit run app.py --server.port $PORT --server.address 0.0.0.0
# --server.headless true` with the venv's python (0.0.0.0 because DATABASE_URL is set; the
# health check and the proxy need it); `make run` uses the same script, on 127.0.0.1.
START_COMMAND = "bash scripts/serve.sh"
# Before each deploy: apply the schema (MTM_NO_DEMO below keeps the demo out of production).
PRE_DEPLOY_COMMAND = "python -m migrate.bootstrap"
# Streamlit's own liveness endpoint: 200 "ok" once the server is up.
HEALTHCHECK_PATH = "/_stcore/health"


@define_railway
def main(ctx=None):
    db = postgres(DATABASE)

    repo = os.environ.get("MTM_GITHUB_REPO", "").strip()
    source = (
        github(repo, branch=os.environ.get("MTM_GITHUB_BRANCH", "main"))
        if repo
        else None
    )

    web = service(
        SERVICE,
        source=source,
        build={"builder": "RAILPACK"},
        start=START_COMMAND,
        preDeploy=PRE_DEPLOY_COMMAND,
        healthcheck=HEALTHCHECK_PATH,
        healthcheckTimeout=120,
        deploy={"restartPolicyType": "ON_FAILURE", "restartPolicyMaxRetries": 10},
        env={
            # A reference, resolved by Railway: the Postgres service's DATABASE_URL.
            "DATABASE_URL": db.env.DATABASE_URL,
            # Secret: set it in the dashboard (or `railway variables set`); keep the value there.
            "ADMIN_PASSWORD": preserve(),
            # A hosted database holds real imports: never seed it with the demo data.
            "MTM_NO_DEMO": "1",
            # Only Railway's edge proxy reaches the public port, and it sends the client's address
            # in X-Real-IP (X-Forwarded-For on older edges); its own addresses are not documented,
            # so every peer counts as the proxy. The Admin page's per-address limit on password
            # guesses relies on this (server/guard.py ClientAddressMiddleware).
            "MTM_TRUSTED_PROXIES": "*",
        },
    )
    return project(PROJECT, resources=[db, web])
