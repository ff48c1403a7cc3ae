"""SQL written once (db/migrations/0014_shared_sql.sql): the play hash functions are the expressions
the stored keys and plays_natural_key were built with, and the explorer's functions, called for one
source, never read the other's tables."""
from __future__ import annotations

import pytest

from db import explain
from tests.helpers import pg_rows

NATURAL_HASH = "md5(coalesce(uri, coalesce(artist, '') || E'\\x1f' || coalesce(track, '')))::uuid"
ITEM_KEY = ("md5(kind || E'\\x1f' || coalesce(uri, '') || E'\\x1f' || coalesce(artist, '') || E'\\x1f' "
            "|| coalesce(album, '') || E'\\x1f' || coalesce(track, ''))::uuid")
ROWS = """(values ('music', 'spotify:track:1', 'A', 'B', 'T'), ('music', null, 'A', null, 'T'),
                  ('music', null, null, null, null), ('podcast', 'spotify:episode:2', null, 'S', 'E'),
                  ('music', null, 'A' || E'\\x1f' || 'T', null, ''), ('music', null, 'Ä', 'B', 'T'))
          as r(kind, uri, artist, album, track)"""


def test_plays_natural_key_indexes_exactly_mtm_play_natural_hash(db_url):
    """The index keeps the expression of 0005/0010; the function's body must be that expression, or
    queries calling the function would stop matching the index."""
    [(index_expr, body)] = pg_rows(db_url, "select pg_get_indexdef('plays_natural_key'::regclass, 3, false), "
                                           "pg_get_function_sqlbody('mtm_play_natural_hash'::regproc)")
    assert body.startswith("RETURN ")
    assert index_expr == "(" + body[len("RETURN "):] + ")"


def test_play_hash_functions_give_the_keys_stored_before(db_url):
    rows = pg_rows(db_url, f"select mtm_play_natural_hash(uri, artist, track) = {NATURAL_HASH}, "
                           f"mtm_play_item_key(kind, uri, artist, album, track) = {ITEM_KEY} from {ROWS}")
    assert rows == [(True, True)] * 6


def test_a_play_named_by_its_natural_key_is_found_through_plays_natural_key(db_url):
    from db import queries

    ex = explain.explain("explorer_play_payload", queries.get("explorer_play_payload").example, url=db_url)
    scans = [n for n in ex.nodes if n.relation == "plays"]
    assert [n.index_name for n in scans] == ["plays_natural_key"]
    assert "md5" in scans[0].condition and "ms_played" in scans[0].condition


@pytest.mark.parametrize("name, other", [
    ("json_path_values", {"plays", "plays_json_sample"}),
    ("json_path_histogram", {"plays", "plays_json_sample"}),
    ("json_path_inventory_list", {"plays_json_path_inventory", "plays_json_path_inventory_info"}),
    ("plays_json_path_values", {"tracks", "json_path_sample"}),
    ("plays_json_path_histogram", {"tracks", "json_path_sample"}),
    ("plays_json_path_inventory_list", {"json_path_inventory", "json_path_inventory_info"}),
])
def test_explorer_functions_read_only_the_source_asked_for(demo_url, name, other):
    from db import queries

    ex = explain.explain(name, queries.get(name).example, url=demo_url)
    read = [n.label for n in ex.nodes if n.relation in other and not n.never_executed and n.loops > 0]
    assert read == []
    assert any(n.relation for n in ex.nodes if not n.never_executed)
