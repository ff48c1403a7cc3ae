"""db.explain: the plan tree from canned plans (pure), and EXPLAIN ANALYZE of real named queries."""
from __future__ import annotations

import json

import pytest

from db import explain, queries
from db.explain import ExplainError, ExplainRefused
from tests.helpers import pg_rows


def node(kind, total, loops=1, plan_rows=1, rows=1, children=(), **extra):
    out = {"Node Type": kind, "Actual Startup Time": 0.0, "Actual Total Time": total, "Actual Loops": loops,
           "Plan Rows": plan_rows, "Actual Rows": rows, "Startup Cost": 0.0, "Total Cost": 1.0, "Plan Width": 8,
           "Shared Hit Blocks": 0, "Shared Read Blocks": 0, **extra}
    if children:
        out["Plans"] = list(children)
    return out


def plan(top, planning=0.2, execution=None):
    return [{"Plan": top, "Planning Time": planning,
             "Execution Time": execution if execution is not None else top["Actual Total Time"]}]


NESTED_LOOP = plan(node(
    "Limit", 5.0, plan_rows=10, rows=10, children=[node(
        "Nested Loop", 4.5, plan_rows=10, rows=10, **{"Join Type": "Inner", "Parent Relationship": "Outer"},
        children=[
            node("Seq Scan", 3.0, plan_rows=10, rows=500, **{"Relation Name": "snapshots", "Alias": "s",
                 "Parent Relationship": "Outer", "Filter": "(rank < 5)", "Rows Removed by Filter": 20,
                 "Shared Hit Blocks": 7, "Shared Read Blocks": 3}),
            node("Index Scan", 0.01, loops=100, plan_rows=1, rows=1, **{
                "Relation Name": "tracks", "Alias": "t", "Index Name": "tracks_pkey",
                "Parent Relationship": "Inner", "Index Cond": "(track_id = s.track_id)", "Shared Hit Blocks": 300}),
        ])]))


def by_label(nodes):
    return {n.label: n for n in nodes}


def test_inclusive_time_is_total_times_loops():
    nodes = by_label(explain.plan_nodes(NESTED_LOOP))
    assert nodes["Index Scan using tracks_pkey on tracks t"].inclusive_ms == pytest.approx(1.0)
    assert nodes["Limit"].inclusive_ms == pytest.approx(5.0)


def test_exclusive_time_subtracts_children():
    nodes = by_label(explain.plan_nodes(NESTED_LOOP))
    assert nodes["Limit"].exclusive_ms == pytest.approx(0.5)
    assert nodes["Nested Loop"].exclusive_ms == pytest.approx(0.5)          # 4.5 - 3.0 - 100 x 0.01
    assert nodes["Seq Scan on snapshots s"].exclusive_ms == pytest.approx(3.0)
    assert nodes["Index Scan using tracks_pkey on tracks t"].exclusive_ms == pytest.approx(1.0)


def test_nodes_come_depth_first_with_depth_and_parent():
    nodes = explain.plan_nodes(NESTED_LOOP)
    assert [(n.depth, n.parent_id) for n in nodes] == [(0, None), (1, 0), (2, 1), (2, 1)]
    assert [n.id for n in nodes] == [0, 1, 2, 3]


def test_misestimate_is_flagged_from_ten_times_off():
    nodes = by_label(explain.plan_nodes(NESTED_LOOP))
    seq = nodes["Seq Scan on snapshots s"]
    assert seq.flagged and seq.misestimate == pytest.approx(50.0) and seq.misestimate_dir == "under"
    assert not nodes["Limit"].flagged
    assert explain.plan_summary(NESTED_LOOP).misestimates == 1


@pytest.mark.parametrize("estimated,actual,factor,direction,flagged", [
    (10, 100, 10.0, "under", True),
    (100, 10, 10.0, "over", True),
    (10, 99, 9.9, "under", False),
    (1, 0, 1.0, None, False),           # both sides count as at least one row
    (1000, 0, 1000.0, "over", True),
    (5, 5, 1.0, None, False),
    (3, 33333.33, 11111.11, "under", True),   # PostgreSQL 18 reports fractional averages
])
def test_misestimate_factor_and_direction(estimated, actual, factor, direction, flagged):
    got, got_dir = explain.misestimate(estimated, actual)
    assert got == pytest.approx(factor, rel=1e-3) and got_dir == direction
    assert (got >= explain.MISESTIMATE_FACTOR) == flagged


def test_never_executed_node_has_no_rows_and_no_flag():
    p = plan(node("Append", 1.0, children=[
        node("Seq Scan", 0.0, loops=0, plan_rows=1000, rows=0, **{"Relation Name": "tracks"}),
    ]))
    scan = explain.plan_nodes(p)[1]
    assert scan.never_executed and scan.actual_rows is None and not scan.flagged
    assert "never executed" in explain.plan_text(p)


def test_buffers_and_rows_removed_are_read():
    seq = by_label(explain.plan_nodes(NESTED_LOOP))["Seq Scan on snapshots s"]
    assert (seq.shared_hit, seq.shared_read, seq.rows_removed) == (7, 3, 20)
    assert seq.condition == "Filter: (rank < 5)"


@pytest.mark.parametrize("raw,label,index", [
    ({"Node Type": "Index Scan", "Index Name": "tracks_pkey", "Relation Name": "tracks", "Alias": "t"},
     "Index Scan using tracks_pkey on tracks t", "tracks_pkey"),
    ({"Node Type": "Index Only Scan", "Index Name": "snapshots_pkey", "Relation Name": "snapshots",
      "Alias": "snapshots"}, "Index Only Scan using snapshots_pkey on snapshots", "snapshots_pkey"),
    ({"Node Type": "Bitmap Index Scan", "Index Name": "tracks_search_idx"},
     "Bitmap Index Scan on tracks_search_idx", "tracks_search_idx"),
    ({"Node Type": "Bitmap Heap Scan", "Relation Name": "tracks", "Alias": "t"}, "Bitmap Heap Scan on tracks t", None),
    ({"Node Type": "Seq Scan", "Relation Name": "tracks", "Alias": "tracks", "Parallel Aware": True},
     "Parallel Seq Scan on tracks", None),
    ({"Node Type": "Hash Join", "Join Type": "Left"}, "Hash Left Join", None),
    ({"Node Type": "Nested Loop", "Join Type": "Anti"}, "Nested Loop Anti Join", None),
    ({"Node Type": "Merge Join", "Join Type": "Inner"}, "Merge Join", None),
    ({"Node Type": "Aggregate", "Strategy": "Hashed", "Partial Mode": "Simple"}, "HashAggregate", None),
    ({"Node Type": "Aggregate", "Strategy": "Sorted", "Partial Mode": "Finalize"}, "Finalize GroupAggregate", None),
    ({"Node Type": "CTE Scan", "CTE Name": "dates", "Alias": "dates"}, "CTE Scan on dates", None),
    ({"Node Type": "Function Scan", "Function Name": "jsonb_each", "Alias": "e"}, "Function Scan on jsonb_each e", None),
])
def test_node_label_and_index_used(raw, label, index):
    raw = dict(raw)
    n = explain.plan_nodes(plan(node(raw.pop("Node Type"), 1.0, **raw)))[0]
    assert n.label == label
    assert n.index_name == index


def test_parallel_workers_count_as_wall_clock_time():
    p = plan(node("Gather", 10.0, **{"Workers Launched": 2, "Workers Planned": 2}, children=[
        node("Parallel Seq Scan", 9.0, loops=3, **{"Relation Name": "tracks", "Parent Relationship": "Outer"}),
    ]))
    gather, scan = explain.plan_nodes(p)
    assert scan.parallel and scan.inclusive_ms == pytest.approx(9.0)     # 3 processes side by side
    assert gather.exclusive_ms == pytest.approx(1.0)
    assert "Workers Launched: 2" in explain.plan_text(p)


def test_cte_time_is_taken_from_the_cte_scan_not_its_parent():
    p = plan(node("Hash Join", 10.0, children=[
        node("Seq Scan", 6.0, **{"Parent Relationship": "InitPlan", "Subplan Name": "CTE x",
                                 "Relation Name": "tracks"}),
        node("CTE Scan", 7.0, **{"Parent Relationship": "Outer", "CTE Name": "x", "Alias": "x"}),
        node("Hash", 2.0, **{"Parent Relationship": "Inner"}, children=[
            node("Seq Scan", 1.5, **{"Parent Relationship": "Outer", "Relation Name": "snapshots"})]),
    ]))
    join, cte, scan, hash_, _ = explain.plan_nodes(p)
    assert join.exclusive_ms == pytest.approx(1.0)      # 10 - 7 - 2; the CTE's 6 ms are inside the CTE Scan
    assert scan.exclusive_ms == pytest.approx(1.0)      # 7 - 6
    assert cte.exclusive_ms == pytest.approx(6.0)
    assert hash_.exclusive_ms == pytest.approx(0.5)


def test_initplan_time_is_taken_from_the_node_whose_filter_uses_it():
    p = plan(node("Seq Scan", 8.0, **{"Relation Name": "tracks", "Filter": "(duration_ms > (InitPlan 1).col1)"},
                  children=[node("Aggregate", 5.0, **{"Parent Relationship": "InitPlan",
                                                      "Subplan Name": "InitPlan 1"})]))
    scan, init = explain.plan_nodes(p)
    assert scan.exclusive_ms == pytest.approx(3.0) and init.exclusive_ms == pytest.approx(5.0)


def test_exclusive_time_is_clamped_at_zero():
    p = plan(node("Result", 1.0, children=[node("Seq Scan", 3.0, **{"Relation Name": "tracks"})]))
    assert explain.plan_nodes(p)[0].exclusive_ms == 0.0


@pytest.mark.parametrize("shape", ["text", "list", "object"])
def test_plan_root_accepts_what_explain_returns(shape):
    value = {"text": json.dumps(NESTED_LOOP), "list": NESTED_LOOP, "object": NESTED_LOOP[0]}[shape]
    assert explain.plan_root(value)["Plan"]["Node Type"] == "Limit"


@pytest.mark.parametrize("bad", [[], {}, "[]", {"Plan": "x"}, [1]])
def test_plan_root_rejects_what_is_not_a_plan(bad):
    with pytest.raises(ValueError):
        explain.plan_root(bad)


def test_plan_text_looks_like_postgresql_text_format():
    text = explain.plan_text(NESTED_LOOP)
    lines = text.splitlines()
    assert lines[0].startswith("Limit  (cost=")
    assert "  ->  Nested Loop  (cost=" in text
    assert "->  Index Scan using tracks_pkey on tracks t  (cost=" in text
    assert "rows=1 loops=100)" in text
    assert "Index Cond: (track_id = s.track_id)" in text
    assert "Buffers: shared hit=7 read=3" in text
    assert lines[-2:] == ["Planning Time: 0.200 ms", "Execution Time: 5.000 ms"]


def test_summary_has_planning_and_execution_time():
    s = explain.plan_summary(NESTED_LOOP)
    assert (s.planning_ms, s.execution_ms, s.nodes) == (0.2, 5.0, 4)


# ---------------------------------------------------------------------------------------------
# Which queries may run


def test_refresh_queries_are_never_offered():
    offered = explain.explainable_queries()
    assert offered and not [n for n in offered if n.startswith("refresh_")]
    assert set(offered) == {n for n in queries.all_queries() if not n.startswith("refresh_")}


@pytest.mark.parametrize("name", ["refresh_rollups", "no_such_query", "", "overview_counts; drop table tracks",
                                  "select 1", None, 42])
def test_unknown_or_refresh_query_is_refused(name):
    with pytest.raises(ExplainRefused):
        explain.explain(name, {})


def test_existing_refresh_queries_are_refused():
    for name in [n for n in queries.all_queries() if n.startswith("refresh_")]:
        with pytest.raises(ExplainRefused):
            explain.explainable_query(name)


# ---------------------------------------------------------------------------------------------
# Against the demo database


def trace(url: str) -> list[tuple]:
    """What an EXPLAIN must leave unchanged: row counts, the import log, the newest import time."""
    return pg_rows(url, """select (select count(*) from tracks), (select count(*) from snapshots),
                                  (select count(*) from import_runs), (select count(*) from import_rejects),
                                  (select max(imported_at) from tracks)""")


@pytest.mark.parametrize("name", sorted(explain.explainable_queries()))
def test_every_named_query_explains_with_its_example_and_leaves_no_trace(demo_url, name):
    q = queries.get(name)
    before = trace(demo_url)
    result = explain.explain(name, q.example, url=demo_url)
    assert result.nodes and result.nodes[0].depth == 0
    assert result.summary.execution_ms is not None and result.summary.planning_ms is not None
    assert json.loads(result.json_text)[0]["Plan"]["Node Type"] == result.nodes[0].node_type
    assert "Execution Time:" in result.text
    assert trace(demo_url) == before


def test_scan_of_a_primary_key_lookup_names_its_index(demo_url):
    track_id = pg_rows(demo_url, "select track_id from tracks limit 1")[0][0]
    plan = explain.run_explain("select name from tracks where track_id = :id", {"id": track_id}, url=demo_url)
    nodes = explain.plan_nodes(plan)
    assert "tracks_pkey" in {n.index_name for n in nodes}


def test_writing_statement_is_refused_by_the_read_only_transaction_and_nothing_is_written(demo_url):
    before = trace(demo_url)
    with pytest.raises(ExplainError, match="writes data"):
        explain.run_explain("insert into import_runs (kind, source) values (:k, :s)",
                            {"k": "sqlite", "s": "explain-test"}, url=demo_url)
    assert trace(demo_url) == before
    assert pg_rows(demo_url, "select count(*) from import_runs where source = 'explain-test'") == [(0,)]


def test_statement_timeout_cancels_a_slow_query(demo_url):
    with pytest.raises(ExplainError, match="statement timeout"):
        explain.run_explain("select pg_sleep(5)", {}, url=demo_url, timeout_ms=50)


def test_timeout_is_local_to_the_rolled_back_transaction(demo_url):
    explain.run_explain("select 1", {}, url=demo_url, timeout_ms=50)
    # the same pooled connections run a normal query afterwards with the engine's own timeout
    assert queries.run("overview_counts", {}, url=demo_url).df.shape[0] == 1


def test_missing_parameter_is_reported(demo_url):
    with pytest.raises(ExplainError, match="missing parameter"):
        explain.explain("currently_obsessed", {"limit": 5}, url=demo_url)


HOSTILE = ["'; drop table tracks; --", "\\", "%", "_", "x" * 5000, "   ", "🎧🎶", "مرحبا", "short_term\\:x",
           ":limit", "$1", "\x00"]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_parameter_values_are_bound_not_executed(demo_url, value):
    before = trace(demo_url)
    try:
        result = explain.explain("currently_obsessed", {"time_range": value, "limit": 5}, url=demo_url)
    except ExplainError as exc:
        assert "\x00" in value and "NUL" in str(exc)
    else:
        assert result.params["time_range"] == value
        assert result.nodes[0].actual_rows == 0
    assert trace(demo_url) == before


@pytest.mark.parametrize("limit", [-1, 2**40])
def test_values_postgresql_rejects_give_a_message(demo_url, limit):
    try:
        explain.explain("currently_obsessed", {"time_range": "short_term", "limit": limit}, url=demo_url)
    except ExplainError as exc:
        assert limit < 0 and "refused" in str(exc)
    else:
        assert limit > 0
