"""EXPLAIN ANALYZE of the app's own named queries, and the plan as a flat tree of nodes.

`explain(name, params)` runs `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` of named query `name` with its
parameters bound (never formatted into the SQL) on a fresh connection of the read-only engine, inside a
transaction that is always rolled back, under a statement timeout. Only named queries run here, never
free SQL, and never the importer's `refresh_*` queries (they write).

The rest is pure functions over the plan JSON, testable without a database:
- `plan_nodes(plan)` walks the tree depth-first and returns one `PlanNode` per plan node with its
  inclusive and exclusive time, estimated vs actual rows and a misestimate flag, loops, buffers and
  the index a scan used;
- `plan_text(plan)` renders the same plan in the shape of PostgreSQL's text format.

Times. PostgreSQL reports `Actual Total Time` per loop (averaged over loops), so a node's inclusive time
is total x loops. Inside a parallel section (under Gather / Gather Merge) the loops of the worker
processes run at the same time, so there it is total x loops / (processes that ran it), an estimate of
wall-clock time. A node's exclusive time is its inclusive time minus its children's, except for
InitPlans: PostgreSQL runs an InitPlan when a node first needs its value, inside that node's time (a CTE
inside the CTE Scans reading it; '(InitPlan 2)' inside the node whose filter uses it), so an InitPlan's
time is taken from those nodes instead of from its parent (from the parent when no user can be found).
Averages and attributions can still make a difference negative: exclusive time is clamped at 0 and is
an attribution, not a measurement.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

MISESTIMATE_FACTOR = 10.0
DEFAULT_TIMEOUT_MS = 10_000
MAX_TIMEOUT_MS = 120_000
EXPLAIN_OPTIONS = "ANALYZE, BUFFERS, FORMAT JSON"


class ExplainRefused(ValueError):
    """The name is not a query the EXPLAIN page may run (unknown, or a writing refresh_ query)."""


class ExplainError(RuntimeError):
    """EXPLAIN could not run the query with these parameters; the message is safe to show."""


# ---------------------------------------------------------------------------------------------
# Which queries


def is_explainable(name: str) -> bool:
    return not name.startswith("refresh_")


def explainable_queries() -> dict:
    """The named queries the EXPLAIN page offers: every one except the importer's refresh_* writes."""
    from db import queries

    return {n: q for n, q in sorted(queries.all_queries().items()) if is_explainable(n)}


def explainable_query(name: str):
    """The Query called `name`, or ExplainRefused when it does not exist or may not run here."""
    from db import queries

    if not isinstance(name, str) or not is_explainable(name):
        raise ExplainRefused(f"{name!r} cannot be explained here: refresh_ queries write data")
    try:
        return queries.get(name)
    except KeyError:
        raise ExplainRefused(f"there is no named query {name!r}") from None


# ---------------------------------------------------------------------------------------------
# The plan as nodes


@dataclass
class PlanNode:
    id: int                       # position in depth-first order (the root is 0)
    parent_id: int | None
    depth: int
    node_type: str
    label: str                    # 'Index Scan using tracks_pkey on tracks t'
    relationship: str | None      # Outer / Inner / InitPlan / SubPlan / Member ...
    subplan: str | None           # 'CTE dates', 'InitPlan 1' ...
    relation: str | None
    alias: str | None
    index_name: str | None
    loops: int
    startup_ms: float | None      # per loop, as reported
    total_ms: float | None        # per loop, as reported
    inclusive_ms: float
    exclusive_ms: float
    plan_rows: float              # estimated rows per loop
    actual_rows: float | None     # actual rows per loop (average; fractional under parallelism)
    misestimate: float | None     # max(est, actual) / min(est, actual), both at least 1
    misestimate_dir: str | None   # 'under' (more rows than estimated) / 'over'
    shared_hit: int
    shared_read: int
    temp_read: int
    temp_written: int
    rows_removed: int             # by Filter / Join Filter / index recheck, all loops
    condition: str | None         # Index Cond / Hash Cond / Filter ..., for display
    parallel: bool                # inside a Gather / Gather Merge
    never_executed: bool
    raw: dict = field(repr=False, default_factory=dict)

    @property
    def flagged(self) -> bool:
        return self.misestimate is not None and self.misestimate >= MISESTIMATE_FACTOR

    @property
    def actual_rows_total(self) -> float | None:
        return None if self.actual_rows is None else self.actual_rows * self.loops


_JOIN_NODES = {"Hash Join": "Hash {} Join", "Merge Join": "Merge {} Join", "Nested Loop": "Nested Loop {} Join"}
_AGG_STRATEGY = {"Plain": "Aggregate", "Sorted": "GroupAggregate", "Hashed": "HashAggregate",
                 "Mixed": "MixedAggregate"}
_CONDITIONS = ("Index Cond", "Recheck Cond", "Hash Cond", "Merge Cond", "Join Filter", "Filter",
               "TID Cond", "One-Time Filter")
_REMOVED = ("Rows Removed by Filter", "Rows Removed by Join Filter", "Rows Removed by Index Recheck")


def node_name(plan: dict) -> str:
    """The node's name as PostgreSQL's text format prints it: 'HashAggregate', 'Hash Left Join' ..."""
    kind = str(plan.get("Node Type", "?"))
    if kind == "Aggregate":
        kind = _AGG_STRATEGY.get(plan.get("Strategy"), "Aggregate")
        mode = plan.get("Partial Mode")
        if mode in ("Partial", "Finalize"):
            kind = f"{mode} {kind}"
    elif kind in _JOIN_NODES:
        join = plan.get("Join Type", "Inner")
        kind = kind if join == "Inner" else _JOIN_NODES[kind].format(join)
    elif kind == "SetOp" and plan.get("Strategy") == "Hashed":
        kind = "HashSetOp"
    if plan.get("Parallel Aware"):
        kind = "Parallel " + kind
    return kind


def node_label(plan: dict) -> str:
    """`node_name` plus what it reads: 'Index Scan using idx on tracks t', 'CTE Scan on dates'."""
    label = node_name(plan)
    index = plan.get("Index Name")
    relation = plan.get("Relation Name") or plan.get("CTE Name") or plan.get("Function Name")
    alias = plan.get("Alias")
    if plan.get("Node Type") == "Bitmap Index Scan" and index:
        return f"{label} on {index}"
    if index:
        label += f" using {index}"
    if relation:
        label += f" on {relation}" + (f" {alias}" if alias and alias != relation else "")
    elif alias:
        label += f" on {alias}"
    return label


def _num(value, default=0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def misestimate(plan_rows, actual_rows) -> tuple[float | None, str | None]:
    """(factor, 'under'/'over'): how far the row estimate was off, each side counted as at least 1 row.

    'under' means the planner expected fewer rows than came out. (None, None) for a node never run.
    """
    if actual_rows is None:
        return None, None
    est, act = max(_num(plan_rows), 1.0), max(_num(actual_rows), 1.0)
    if est == act:
        return 1.0, None
    return (act / est, "under") if act > est else (est / act, "over")


def plan_root(plan) -> dict:
    """The top-level object of EXPLAIN's JSON output ({"Plan", "Planning Time", ...}).

    Accepts the JSON text, the one-element list EXPLAIN returns, or the object itself.
    """
    if isinstance(plan, (str, bytes)):
        plan = json.loads(plan)
    if isinstance(plan, list):
        if not plan:
            raise ValueError("empty plan")
        plan = plan[0]
    if not isinstance(plan, dict) or not isinstance(plan.get("Plan"), dict):
        raise ValueError("not an EXPLAIN (FORMAT JSON) plan")  # noqa: TRY004 - bad content, not a bad call
    return plan


def plan_nodes(plan) -> list[PlanNode]:
    """Every node of `plan`, depth-first (a parent before its children), with computed times."""
    root = plan_root(plan)["Plan"]
    nodes: list[PlanNode] = []
    children: dict[int, list[int]] = {}

    def walk(p: dict, parent: int | None, depth: int, workers: int | None) -> None:
        loops = int(_num(p.get("Actual Loops"), 0))
        total = p.get("Actual Total Time")
        executed = "Actual Loops" in p and loops > 0
        inclusive = _num(total) * loops
        if workers and loops > 1:
            inclusive /= min(workers, loops)   # processes ran these loops side by side
        factor, direction = misestimate(p.get("Plan Rows"), p.get("Actual Rows") if executed else None)
        condition = next((f"{k}: {p[k]}" for k in _CONDITIONS if p.get(k)), None)
        node = PlanNode(
            id=len(nodes), parent_id=parent, depth=depth, node_type=str(p.get("Node Type", "?")),
            label=node_label(p), relationship=p.get("Parent Relationship"), subplan=p.get("Subplan Name"),
            relation=p.get("Relation Name") or p.get("CTE Name"), alias=p.get("Alias"),
            index_name=p.get("Index Name"), loops=loops,
            startup_ms=_num(p["Actual Startup Time"]) if "Actual Startup Time" in p else None,
            total_ms=_num(total) if total is not None else None,
            inclusive_ms=inclusive, exclusive_ms=inclusive,
            plan_rows=_num(p.get("Plan Rows")), actual_rows=_num(p.get("Actual Rows")) if executed else None,
            misestimate=factor, misestimate_dir=direction,
            shared_hit=int(_num(p.get("Shared Hit Blocks"))), shared_read=int(_num(p.get("Shared Read Blocks"))),
            temp_read=int(_num(p.get("Temp Read Blocks"))), temp_written=int(_num(p.get("Temp Written Blocks"))),
            rows_removed=int(sum(_num(p.get(k)) for k in _REMOVED) * max(loops, 1)),
            condition=condition, parallel=bool(workers), never_executed=not executed, raw=p,
        )
        nodes.append(node)
        children[node.id] = []
        if parent is not None:
            children[parent].append(node.id)
        if p.get("Node Type") in ("Gather", "Gather Merge"):
            launched = int(_num(p.get("Workers Launched"), 0))
            # the leader runs the plan too unless parallel_leader_participation is off
            workers = launched + 1 if launched else None
        for child in p.get("Plans") or []:
            if isinstance(child, dict):
                walk(child, node.id, depth + 1, workers)

    walk(root, None, 0, None)
    _attribute_exclusive(nodes, children)
    return nodes


def _subtree(nodes: list[PlanNode], children: dict[int, list[int]], node_id: int) -> set[int]:
    out, todo = set(), [node_id]
    while todo:
        n = todo.pop()
        out.add(n)
        todo.extend(children[n])
    return out


def _initplan_consumers(nodes: list[PlanNode], children: dict[int, list[int]], init: PlanNode) -> list[int]:
    """The nodes whose time includes InitPlan `init`: the CTE Scans of a CTE, or the nodes whose
    expressions use '(InitPlan N)' (PostgreSQL 17+ names them so). Empty when none can be told."""
    name = init.subplan or ""
    if name.startswith("CTE "):
        return [n.id for n in nodes if n.node_type == "CTE Scan" and n.relation == name[4:]]
    own = _subtree(nodes, children, init.id)
    needle = f"({name})"
    found = []
    for n in nodes:
        if n.id in own or not name:
            continue
        fields = {k: v for k, v in n.raw.items() if k != "Plans"}
        if needle in json.dumps(fields, default=str):
            found.append(n.id)
    return found


def _attribute_exclusive(nodes: list[PlanNode], children: dict[int, list[int]]) -> None:
    """Exclusive time: inclusive minus the children's, an InitPlan's time moved to the nodes using it."""
    consumers = {n.id: _initplan_consumers(nodes, children, n) for n in nodes if n.relationship == "InitPlan"}
    own = {}
    for n in nodes:
        own[n.id] = n.inclusive_ms - sum(nodes[c].inclusive_ms for c in children[n.id] if not consumers.get(c))
    for init_id, users in consumers.items():
        left = nodes[init_id].inclusive_ms
        for u in users:
            taken = min(max(own[u], 0.0), left)
            own[u] -= taken
            left -= taken
    for n in nodes:
        n.exclusive_ms = max(own[n.id], 0.0)


@dataclass
class PlanSummary:
    planning_ms: float | None
    execution_ms: float | None
    nodes: int
    misestimates: int
    shared_hit: int
    shared_read: int
    jit_ms: float | None


def plan_summary(plan, nodes: list[PlanNode] | None = None) -> PlanSummary:
    root = plan_root(plan)
    nodes = nodes if nodes is not None else plan_nodes(root)
    top = root["Plan"]
    jit = root.get("JIT") or {}
    jit_total = (jit.get("Timing") or {}).get("Total") if isinstance(jit.get("Timing"), dict) else None
    return PlanSummary(
        planning_ms=_num(root["Planning Time"]) if "Planning Time" in root else None,
        execution_ms=_num(root["Execution Time"]) if "Execution Time" in root else None,
        nodes=len(nodes), misestimates=sum(1 for n in nodes if n.flagged),
        shared_hit=int(_num(top.get("Shared Hit Blocks"))), shared_read=int(_num(top.get("Shared Read Blocks"))),
        jit_ms=_num(jit_total) if jit_total is not None else None,
    )


# ---------------------------------------------------------------------------------------------
# Text rendering (the shape of EXPLAIN (ANALYZE, BUFFERS) text output)


def _fmt_rows(value) -> str:
    v = _num(value)
    return f"{v:.0f}" if v == int(v) else f"{v:.2f}"


def _detail_lines(p: dict) -> list[str]:
    lines = []
    for key in ("Index Cond", "Recheck Cond", "Hash Cond", "Merge Cond", "Join Filter", "Filter",
                "One-Time Filter", "Sort Key", "Group Key", "Sort Method"):
        value = p.get(key)
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        if key == "Sort Method" and p.get("Sort Space Used") is not None:
            value = f"{value}  {p.get('Sort Space Type', 'Memory')}: {p['Sort Space Used']}kB"
        lines.append(f"{key}: {value}")
    for key in _REMOVED + ("Heap Fetches",):
        if p.get(key):
            lines.append(f"{key}: {_fmt_rows(p[key])}")
    if p.get("Workers Launched") is not None:
        lines.append(f"Workers Planned: {p.get('Workers Planned', '?')}")
        lines.append(f"Workers Launched: {p['Workers Launched']}")
    buffers = []
    for kind in ("Shared", "Local", "Temp"):
        parts = [f"{word}={int(_num(p[f'{kind} {word.title()} Blocks']))}"
                 for word in ("hit", "read", "dirtied", "written")
                 if _num(p.get(f"{kind} {word.title()} Blocks")) > 0]
        if parts:
            buffers.append(f"{kind.lower()} " + " ".join(parts))
    if buffers:
        lines.append("Buffers: " + ", ".join(buffers))
    return lines


def plan_text(plan) -> str:
    """The plan as indented text, as `EXPLAIN (ANALYZE, BUFFERS)` prints it (close, not byte-exact)."""
    root = plan_root(plan)
    out: list[str] = []

    def walk(p: dict, indent: int, first: bool) -> None:
        head = node_label(p)
        cost = (f"  (cost={_num(p.get('Startup Cost')):.2f}..{_num(p.get('Total Cost')):.2f} "
                f"rows={_fmt_rows(p.get('Plan Rows'))} width={int(_num(p.get('Plan Width')))})")
        if "Actual Loops" in p and int(_num(p.get("Actual Loops"))) == 0:
            actual = " (never executed)"
        elif "Actual Loops" in p:
            actual = (f" (actual time={_num(p.get('Actual Startup Time')):.3f}..{_num(p.get('Actual Total Time')):.3f}"
                      f" rows={_fmt_rows(p.get('Actual Rows'))} loops={int(_num(p.get('Actual Loops')))})")
        else:
            actual = ""
        if first:
            out.append(head + cost + actual)
            pad = " " * (indent + 2)
        else:
            if p.get("Subplan Name"):
                out.append(" " * indent + p["Subplan Name"])
            out.append(" " * indent + "->  " + head + cost + actual)
            pad = " " * (indent + 6)
        out.extend(pad + line for line in _detail_lines(p))
        for child in p.get("Plans") or []:
            if isinstance(child, dict):
                walk(child, indent + (2 if first else 6), False)

    walk(root["Plan"], 0, True)
    planning_buffers = _detail_lines({k: v for k, v in (root.get("Planning") or {}).items() if "Blocks" in k})
    if planning_buffers:
        out.append("Planning:")
        out.extend("  " + line for line in planning_buffers)
    if "Planning Time" in root:
        out.append(f"Planning Time: {_num(root['Planning Time']):.3f} ms")
    if "Execution Time" in root:
        out.append(f"Execution Time: {_num(root['Execution Time']):.3f} ms")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Running EXPLAIN


@dataclass
class Explained:
    name: str
    params: dict
    plan: dict                    # the top-level EXPLAIN object
    nodes: list[PlanNode]
    summary: PlanSummary

    @property
    def json_text(self) -> str:
        return json.dumps([self.plan], indent=2, ensure_ascii=False, default=str)

    @property
    def text(self) -> str:
        return plan_text(self.plan)


def bind_params(query, params: dict | None) -> dict:
    """The values for `query`'s parameters from `params` (others dropped); ExplainError if any is missing."""
    params = {**query.defaults, **(params or {})}
    missing = [p for p in query.params if p not in params]
    if missing:
        raise ExplainError(f"{query.name}: missing parameter(s) {', '.join(missing)}")
    for key, value in params.items():
        if isinstance(value, str) and "\x00" in value:
            raise ExplainError(f"parameter {key!r} contains a NUL character, which PostgreSQL text cannot hold")
    return {k: params[k] for k in query.params}


def _classify(exc: BaseException, timeout_ms: int) -> ExplainError | None:
    """An ExplainError for a problem with the query or its values; None for anything else (the database
    being down, a failed migration, a bug), which the caller re-raises. Which is which: db.errors."""
    from db import errors

    kind = errors.kind(exc)
    if kind == errors.TIMEOUT:
        return ExplainError(f"cancelled by the statement timeout ({timeout_ms:,} ms); "
                            "try narrower parameters or a longer timeout")
    if kind == errors.READ_ONLY:
        return ExplainError("this query writes data and cannot run on the read-only connection")
    if kind in (errors.PRIVILEGE, errors.REFUSED):
        text = errors.first_line(exc) or type(getattr(exc, "orig", exc)).__name__
        return ExplainError("PostgreSQL refused these parameters: " + text[:500])
    return None


def explain(name: str, params: dict | None = None, *, url: str | None = None,
            timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Explained:
    """EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) named query `name`; always rolled back.

    ExplainRefused for a name that may not run here, ExplainError for a problem with the parameters or a
    timeout; a database that cannot be reached raises as usual (common.guard shows it).
    """
    query = explainable_query(name)
    bound = bind_params(query, params)
    plan = run_explain(query.sql, bound, url=url, timeout_ms=timeout_ms)
    nodes = plan_nodes(plan)
    return Explained(name=name, params=bound, plan=plan, nodes=nodes, summary=plan_summary(plan, nodes))


def run_explain(sql: str, params: dict, *, url: str | None = None,
                timeout_ms: int = DEFAULT_TIMEOUT_MS) -> dict:
    """EXPLAIN ANALYZE one statement of the app's own SQL (callers pass a named query's SQL only).

    A fresh transaction on the read-only engine with a local statement timeout, rolled back whatever
    happens, so even a statement that tried to write could leave nothing behind.
    """
    import sqlalchemy as sa

    from db import engine as engines
    from db.schema import ensure_schema

    timeout_ms = max(1, min(int(timeout_ms), MAX_TIMEOUT_MS))
    stmt = sa.text(f"EXPLAIN ({EXPLAIN_OPTIONS}) {sql}")
    eng = engines.reader(ensure_schema(url))
    try:
        with eng.connect() as conn:
            trans = conn.begin()
            try:
                conn.execute(sa.text("select set_config('statement_timeout', :t, true)"), {"t": str(timeout_ms)})
                value = conn.execute(stmt, params).scalar()
            finally:
                trans.rollback()
    except Exception as exc:  # classified below; anything else is re-raised
        err = _classify(exc, timeout_ms)
        if err is None:
            raise
        raise err from None
    return plan_root(value)
