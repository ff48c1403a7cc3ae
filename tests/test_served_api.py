"""The API as the app serves it (app.py through scripts/serve.sh): listens and reads on the pages' port."""
from __future__ import annotations

import time

import requests

from tests import serving
from tests.api_server import new_token
from tests.conftest import pg_rows


def test_the_served_app_takes_listens_and_reads_on_its_own_port(db_url):
    import liblistenbrainz as lib

    token = new_token(db_url, "served")
    with serving.serve("served-api.log", DATABASE_URL=db_url) as server:
        client = lib.ListenBrainz(api_base_url=server.base)
        client.set_auth_token(token)
        client.submit_single_listen(lib.Listen(track_name="On one port", artist_name="The Servers",
                                               listened_at=int(time.time()) - 600))
        assert pg_rows(db_url, "select artist, track, source from plays") == [("The Servers", "On one port",
                                                                              "listenbrainz")]
        runs = requests.get(server.base + "/api/import-runs", headers={"Authorization": f"Token {token}"}, timeout=10)
        assert runs.status_code == 200 and runs.json()["items"] == []
        assert requests.get(server.base + "/api/import-runs", timeout=10).status_code == 401
        assert requests.get(server.base + "/api/openapi.json", timeout=10).json()["openapi"].startswith("3.")
        assert requests.get(server.base + "/_stcore/health", timeout=10).text == "ok"      # the pages still answer
