"""The served app: Streamlit's dashboard.py as an ASGI app, with our guards in front of its endpoints.

`streamlit run app.py` (what scripts/serve.sh runs) finds `app` below and serves it with uvicorn, honouring
the usual --server.port / --server.address flags and .streamlit/config.toml. (Under another ASGI server the
Admin page cannot know the address bound; it then stays open without a password only to loopback clients.)
Routes and middleware of the server are added here, in one place (Streamlit 1.67's `st.App`: user routes
come before Streamlit's, user middleware wraps Streamlit's). Plain `streamlit run dashboard.py` still runs
the same pages for development, without these guards.
"""
from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

import api
from server.guard import ClientAddressMiddleware, UploadGuardMiddleware

app = st.App(
    "dashboard.py",
    routes=api.routes(),   # /1/... ListenBrainz listen submission, /api/... read API (api/), token-checked
    middleware=[
        Middleware(ClientAddressMiddleware),   # first: everything after it sees the client's address
        Middleware(UploadGuardMiddleware),     # uploads only from a session that unlocked the Admin page
    ],
)
