"""The refresh pipeline (db/refresh.py): one explicit, ordered list that every writer runs."""
from __future__ import annotations

import ast
import os

from db import queries, refresh
from tests.helpers import ROOT


def test_the_pipeline_runs_every_refresh_query_exactly_once():
    names = {n for n in queries.all_queries() if n.startswith("refresh_")}
    assert sorted(refresh.PIPELINE) == sorted(names)
    assert len(set(refresh.PIPELINE)) == len(refresh.PIPELINE)


def test_rollups_are_built_before_what_reads_them():
    p = refresh.PIPELINE
    assert p.index("refresh_plays_a_full") < p.index("refresh_plays_rollups")
    assert p.index("refresh_plays_rollups") < p.index("refresh_plays_z_a1_full_items")
    assert p.index("refresh_plays_z_e_sessions") < p.index("refresh_plays_z_f_done")
    assert p.index("refresh_plays_z_f_done") < p.index("refresh_plays_zz_json_path_inventory")


def test_only_db_refresh_runs_the_refresh_queries():
    """Importers, the schema upgrade and the API call refresh.run(); none picks refresh_* queries
    itself (the order used to be the alphabetical order of their names)."""
    offenders = []
    for folder in ("db", "migrate", "api", "ui", "app_pages", "server"):
        if not os.path.isdir(os.path.join(ROOT, folder)):
            continue
        for name in os.listdir(os.path.join(ROOT, folder)):
            path = os.path.join(ROOT, folder, name)
            if not name.endswith(".py") or path == os.path.join(ROOT, "db", "refresh.py"):
                continue
            tree = ast.parse(open(path, encoding="utf-8").read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value == "refresh_":
                    offenders.append(f"{folder}/{name}:{node.lineno}")
    # db/explain.py names the prefix to keep refresh queries OUT of EXPLAIN (they write).
    assert [o for o in offenders if not o.startswith("db/explain.py:")] == []
