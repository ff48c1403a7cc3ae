"""The Admin page's API tokens tab: create (shown once), list (never the token), revoke."""
from __future__ import annotations

from tests.conftest import pg_rows
from tests.test_page_admin import admin_app, texts


def test_admin_creates_lists_and_revokes_a_token(empty_url, monkeypatch):
    at = admin_app(monkeypatch)
    assert "No tokens yet." in texts(at)
    at.text_input(key="admin_token_name").set_value("phone")
    at.button[[b.label for b in at.button].index("Create token")].click().run()
    assert not at.exception, at.exception
    token = at.code[0].value
    assert len(token) >= 40 and "Copy it now" in texts(at)
    stored = pg_rows(empty_url, "select count(*) from api_tokens where name = 'phone' "
                                "and token_sha256 = sha256(%s::bytea)", (token.encode(),))[0][0]
    assert stored == 1
    listed = [d.value for d in at.dataframe if "name" in d.value.columns][0]
    assert listed["name"].tolist() == ["phone"] and token not in listed.to_string()

    at.button(key="admin_token_revoke_go").click().run()
    assert not at.exception, at.exception
    assert pg_rows(empty_url, "select revoked_at is not null from api_tokens where name = 'phone'")[0][0]
