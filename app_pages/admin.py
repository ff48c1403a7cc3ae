"""Admin: import a file (upload or server path), list past imports, API tokens, EXPLAIN ANALYZE the
app's queries.

Protected by ui.auth (ADMIN_PASSWORD). Imports go through migrate.api.run_import, the same import as
`python -m migrate`; EXPLAIN runs only the app's named queries, read-only and rolled back (db.explain).
"""
from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from db import config, explain
from migrate.api import run_import
from migrate.errors import ImportError_, UnusableInput
from ui import admin_view as view
from ui import auth, cached, charts, common
from ui.text import literal

RUNS_SHOWN = 50
REJECTS_SHOWN = 1_000
STATE_REPORT = "admin_last_report"
STATE_EXPLAINED = "admin_explained"


def database_caption() -> str:
    url = config.configured_url()
    if url is None:
        from db import embedded

        return f"Database: the embedded local PostgreSQL ({literal(embedded.PGDATA)})."
    return f"Database: {config.redact(url)}"


# ---------------------------------------------------------------------------------------------
# Import


def do_import(path: str, shown_as: str) -> None:
    """Run the import of `path` with live progress; keep the report (or the error) in the session."""
    st.session_state.pop(STATE_REPORT, None)
    error = None
    label = literal(shown_as)              # a file name or typed path: shown literally in every label
    with st.status(f"Importing {label} ...", expanded=True) as status:
        bar = st.progress(0.0, text="Opening the file")

        def progress(stage: str, done: int, total: int) -> None:
            fraction = done / total if total else 1.0
            bar.progress(min(max(fraction, 0.0), 1.0), text=f"{literal(stage)}: {done:,} of {total:,}")

        def notice(message: str) -> None:
            status.write(literal(config.redact_text(str(message))))

        try:
            report = run_import(path, progress=progress, notice=notice)
        except UnusableInput as exc:
            error = "Nothing was imported: " + literal(view.user_message(exc, path, shown_as))
        except ImportError_ as exc:
            error = "The import failed and nothing from it was kept: " + literal(view.user_message(exc, path, shown_as))
        except Exception as exc:  # noqa: BLE001 - a bug: still one line, never a traceback with secrets
            error = (f"The import failed unexpectedly ({type(exc).__name__}): "
                     + literal(view.user_message(exc, path, shown_as)))
        if error:
            status.update(label=f"Import of {label} stopped", state="error", expanded=False)
        else:
            status.update(label=f"Imported {label} in {report.seconds:.1f} s (run {report.run_id})",
                          state="complete", expanded=False)
    if error:
        st.error(error, icon="🛑")
        return
    cached.clear()
    st.session_state[STATE_REPORT] = report


def show_report(report) -> None:
    common.subheader(f"Report: {literal(report.source)} (run {report.run_id})")
    if report.verified:
        st.success("Verification passed: PostgreSQL holds every accepted row of the file.", icon="✅")
    else:
        st.warning("Verification FAILED: see the checks below.", icon="⚠️")
    tables = view.report_tables_frame(report)
    st.dataframe(tables, hide_index=True, width="stretch")
    files = view.report_files_frame(report)
    if not files.empty:
        st.markdown(f"**Files ({len(files):,})**: what each file was read as and what became of its records "
                    "(duplicates: read earlier in this import; already present: from an earlier import); "
                    "files that are not streaming history are listed last, as ignored.")
        st.dataframe(files, hide_index=True, width="stretch")
    rejects = view.report_rejects_frame(report)
    if rejects.empty:
        st.caption("No rows were rejected.")
    else:
        st.markdown(f"**Rejected rows ({report.rejects_total:,})**: kept out of PostgreSQL, everything else landed."
                    + (f" The first {len(report.rejects):,} are listed." if report.rejects_not_kept else ""))
        st.dataframe(rejects, hide_index=True, width="stretch")
        common.download_csv(rejects, f"import_{report.run_id}_rejects", "Download rejected rows (CSV)")
    st.markdown("**Verification**")
    st.dataframe(view.report_checks_frame(report), hide_index=True, width="stretch")
    for note in report.notes:
        st.caption(literal(note))
    with st.expander("Full report (as `python -m migrate` prints it)"):
        st.code(report.render(max_rejects=50), language=None)


def server_path_section() -> None:
    """Import by path: only where no other machine can reach the server, and only from the import folder."""
    why = auth.exposure()
    if why is not None:
        st.caption(f"Import from a path on the server is off because other machines can reach this server ({why}). "
                   "Upload the file instead, or run `python -m migrate PATH` on the server.")
        return
    root = view.import_root()
    typed = st.text_input("…or a file or folder in the server's import folder", key="admin_import_path",
                          placeholder="music_time_machine.db",
                          help=f"The import folder is {root} (MTM_IMPORT_DIR); paths are taken from there.")
    if st.button("Import from path", key="admin_import_path_go"):
        try:
            path = view.server_path(typed, root)
        except view.UploadRejected as exc:
            st.error(f"Nothing was imported: {exc}", icon="🛑")   # fixed texts: no part of the typed path
        else:
            do_import(path, os.path.relpath(path, os.path.realpath(root)))


def _forget_upload(upload) -> None:
    """Remove an imported upload from Streamlit's in-memory file store (best effort: the store is
    Streamlit's; without it the file is freed when the browser session ends)."""
    try:
        from streamlit.runtime import get_instance
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is not None and getattr(upload, "file_id", None):
            get_instance().uploaded_file_mgr.remove_file(ctx.session_id, upload.file_id)
    except Exception:  # noqa: BLE001 - freeing early is an optimisation, never an error for the user
        pass


def import_section() -> None:
    st.caption("Runs the same import as `python -m migrate`: a Music Time Machine SQLite file "
               "(.db/.sqlite/.sqlite3) or a Spotify data export (.zip/.json). Importing the same file again "
               "changes nothing; rejected rows are listed with their reasons.")
    left, right = st.columns(2)
    with left:
        generation = st.session_state.get("admin_upload_generation", 0)
        upload = st.file_uploader(f"Upload a file (up to {view.MAX_UPLOAD_MB:,} MB)",
                                  type=list(view.UPLOAD_TYPES),
                                  key="admin_upload" if not generation else f"admin_upload_{generation}")
        if st.button("Import uploaded file", disabled=upload is None, key="admin_import_upload"):
            name = view.safe_filename(upload.name)
            try:
                with view.staged_upload(upload.name, upload) as path:
                    do_import(path, name)
            except view.UploadRejected as exc:
                st.error(f"Nothing was imported: {literal(exc)}", icon="🛑")
            finally:
                # The upload sits in the server's memory until its session ends: free it now, and
                # show an empty uploader (a new widget key) for the next file; the report stays.
                _forget_upload(upload)
                st.session_state["admin_upload_generation"] = generation + 1
            if st.session_state.get(STATE_REPORT) is not None:
                st.rerun()      # the report is kept in the session; an error stays on screen as it is
    with right:
        server_path_section()
    report = st.session_state.get(STATE_REPORT)
    if report is not None:
        show_report(report)


# ---------------------------------------------------------------------------------------------
# Import runs


RUN_COLUMNS = {
    "run_id": st.column_config.NumberColumn("Run", format="%d"),
    "started_at": st.column_config.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm:ss"),
    "finished_at": st.column_config.DatetimeColumn("Finished", format="YYYY-MM-DD HH:mm:ss"),
    "status": "Status", "kind": "Kind", "source": "Source",
    "source_bytes": st.column_config.NumberColumn("Bytes", format="localized"),
    "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
    "rows_read": st.column_config.NumberColumn("Read", format="localized"),
    "inserted": st.column_config.NumberColumn("Inserted", format="localized"),
    "updated": st.column_config.NumberColumn("Updated", format="localized"),
    "unchanged": st.column_config.NumberColumn("Unchanged", format="localized"),
    "rejected": st.column_config.NumberColumn("Rejected", format="localized"),
    "verified": st.column_config.CheckboxColumn("Verified"),
    "error": "Error",
}


def runs_section() -> None:
    with common.guard():
        runs = cached.uncached("import_runs_recent", limit=RUNS_SHOWN).df
    if runs.empty:
        st.caption("No imports have run on this database yet.")
        return
    st.dataframe(runs, hide_index=True, width="stretch", column_config=RUN_COLUMNS)
    common.download_csv(runs, "import_runs")
    with_rejects = [int(r) for r, n in zip(runs["run_id"], runs["rejected"]) if pd.notna(n) and int(n) > 0]
    if not with_rejects:
        st.caption("None of these runs rejected any rows.")
        return
    run_id = st.selectbox("Rejected rows of run", with_rejects, key="admin_rejects_run")
    with common.guard():
        rejected = cached.uncached("import_run_rejects", cap=REJECTS_SHOWN, run_id=run_id, limit=REJECTS_SHOWN + 1)
    st.dataframe(rejected.df, hide_index=True, width="stretch",
                 column_config={"table_name": "Table", "row_key": "Key", "reason": "Reason"})
    common.truncated_note(rejected)
    common.download_csv(rejected.df, f"import_{run_id}_rejects_all")


# ---------------------------------------------------------------------------------------------
# API tokens (api/: ListenBrainz clients submit listens with one)


def tokens_section() -> None:
    from api import tokens

    st.caption("Point a ListenBrainz client (multi-scrobbler, Pano Scrobbler, Web Scrobbler, Navidrome...) at "
               "this server's address as its ListenBrainz URL, with a token from here. A token is shown once; "
               "only its hash is stored.")
    with st.form("admin_token_create", clear_on_submit=True):
        name = st.text_input("New token's name (the client, say)", key="admin_token_name", max_chars=100)
        if st.form_submit_button("Create token"):
            try:
                made = tokens.create_named(name)
            except tokens.TokenError as exc:
                st.error(str(exc).capitalize())
            else:
                st.success(f"Token {name.strip()!r} created. Copy it now: it is not shown again.")
                st.code(made, language=None)
    with common.guard():
        listed = cached.uncached("api_tokens_list").df
    if listed.empty:
        st.caption("No tokens yet.")
        return
    st.dataframe(listed, hide_index=True, width="stretch", column_config={
        "name": "Name", "created_at": st.column_config.DatetimeColumn("Created"),
        "last_used_at": st.column_config.DatetimeColumn("Last used"),
        "revoked_at": st.column_config.DatetimeColumn("Revoked"),
        "listens": st.column_config.NumberColumn("Listens", format="localized")})
    valid = listed.loc[listed["revoked_at"].isna(), "name"].tolist()
    if valid:
        cols = st.columns([3, 1], vertical_alignment="bottom")
        gone = cols[0].selectbox("Revoke", valid, key="admin_token_revoke")
        if cols[1].button("Revoke token", key="admin_token_revoke_go"):
            tokens.revoke_named(gone)
            st.rerun()


# ---------------------------------------------------------------------------------------------
# EXPLAIN ANALYZE


PLAN_COLUMNS = {
    "node": st.column_config.TextColumn("Node", width="large"),
    "exclusive_ms": st.column_config.NumberColumn("Exclusive ms", format="%.3f",
                                                  help="Time in this node alone (attributed; clamped at 0)"),
    "inclusive_ms": st.column_config.NumberColumn("Inclusive ms", format="%.3f",
                                                  help="Time in this node and everything below it, all loops"),
    "share": st.column_config.ProgressColumn("Share", min_value=0.0, max_value=1.0, format="percent",
                                             help="Exclusive time as a share of the execution time"),
    "est_rows": st.column_config.NumberColumn("Est. rows", format="localized", help="Per loop"),
    "actual_rows": st.column_config.NumberColumn("Actual rows", format="localized", help="Per loop"),
    "misestimate": st.column_config.TextColumn("Estimate off by", help="⚠️ when off by 10× or more"),
    "loops": st.column_config.NumberColumn("Loops", format="localized"),
    "shared_hit": st.column_config.NumberColumn("Shared hit", format="localized",
                                                help="Buffers found in shared memory (this node and below)"),
    "shared_read": st.column_config.NumberColumn("Shared read", format="localized",
                                                 help="Buffers read from disk or the OS cache (this node and below)"),
    "index": st.column_config.TextColumn("Index used"),
    "condition": st.column_config.TextColumn("Condition"),
}


def parameter_form(query) -> tuple[bool, dict, list[str], int]:
    """The form for `query`'s parameters, prefilled from its example: (submitted, values, errors, timeout)."""
    values, errors = {}, []
    with st.form(f"explain_form_{query.name}"):
        for param in query.params:
            example = query.example.get(param)
            kind = view.field_kind(example)
            key = f"explain_{query.name}_{param}"
            if kind == "checkbox":
                raw = st.checkbox(param, value=bool(example), key=key)
            elif kind == "int":
                raw = st.number_input(param, value=int(example), step=1, key=key)
            elif kind == "float":
                raw = st.number_input(param, value=float(example), key=key)
            elif kind == "json":
                raw = st.text_area(f"{param} (JSON)", value=view.json_field_text(example), key=key)
            else:
                raw = st.text_input(param, value="" if example is None else str(example), key=key)
            try:
                values[param] = view.parse_field(kind, raw)
            except ValueError as exc:
                errors.append(f"{param}: {exc}")
        if not query.params:
            st.caption("This query takes no parameters.")
        timeout_s = st.number_input("Statement timeout (seconds)", min_value=1,
                                    max_value=explain.MAX_TIMEOUT_MS // 1000,
                                    value=explain.DEFAULT_TIMEOUT_MS // 1000, step=1, key="explain_timeout")
        submitted = st.form_submit_button("Run EXPLAIN ANALYZE")
    return submitted, values, errors, int(timeout_s) * 1000


PLAN_TIME_COLUMNS = ["node", "exclusive_ms", "inclusive_ms", "share", "est_rows", "actual_rows", "misestimate"]
PLAN_DETAIL_COLUMNS = ["node", "loops", "shared_hit", "shared_read", "index", "condition"]


def show_plan(result) -> None:
    s = result.summary
    common.figures([("Planning time", f"{s.planning_ms:,.3f} ms" if s.planning_ms is not None else "–"),
                    ("Execution time", f"{s.execution_ms:,.3f} ms" if s.execution_ms is not None else "–"),
                    ("Plan nodes", f"{s.nodes:,}"), ("Misestimates ≥10×", f"{s.misestimates:,}"),
                    ("Buffers hit / read", f"{s.shared_hit:,} / {s.shared_read:,}")], columns=5)
    if s.jit_ms:
        st.caption(f"JIT compilation took {s.jit_ms:,.1f} ms of the execution time.")
    flagged = [n for n in result.nodes if n.flagged]
    if flagged:
        st.warning("Row estimates off by 10× or more: "
                   + "; ".join(literal(f"{n.label} ({view.misestimate_label(n).removeprefix('⚠️ ')})")
                               for n in flagged[:5])
                   + (f"; and {len(flagged) - 5} more" if len(flagged) > 5 else ""), icon="⚠️")
    frame = view.plan_frame(result.nodes, s.execution_ms)
    # Two tables of at most seven columns, so neither runs past the right edge at 1400 px: where the
    # time went, then what each node read and filtered on (the node name repeated, pinned).
    pinned = {"node": {**PLAN_COLUMNS["node"], "pinned": True}}
    st.dataframe(frame[PLAN_TIME_COLUMNS], hide_index=True, width="stretch",
                 column_config={**PLAN_COLUMNS, **pinned})
    st.caption("Times are per node over all loops (wall-clock estimates inside parallel sections). "
               "Buffers count this node and everything below it. The transaction was rolled back.")
    with st.expander("Loops, buffers, index and condition of each node"):
        st.dataframe(frame[PLAN_DETAIL_COLUMNS], hide_index=True, width="stretch",
                     column_config={**PLAN_COLUMNS, **pinned, "condition": st.column_config.TextColumn(
                         "Condition", width="large")})
    common.download_csv(frame, f"plan_{result.name}")
    with st.expander("Plan as text"):
        st.code(result.text, language=None, wrap_lines=True)
    with st.expander("Raw JSON plan"):
        st.code(result.json_text, language="json", wrap_lines=True)


def explain_section() -> None:
    st.caption("Runs `EXPLAIN (ANALYZE, BUFFERS)` of one of the app's own named queries with the values "
               "below as bound parameters, read-only, inside a transaction that is rolled back. Only "
               "these queries can run here, never free SQL.")
    named = explain.explainable_queries()
    if not named:
        st.caption("No named queries found.")
        return
    name = st.selectbox("Named query", list(named), key="explain_query",
                        format_func=lambda n: f"{n}  ({named[n].file})")
    query = named[name]
    if query.doc:
        st.caption(query.doc)
    with st.expander("SQL"):
        st.code(query.sql, language="sql")
    submitted, values, errors, timeout_ms = parameter_form(query)
    if submitted:
        st.session_state.pop(STATE_EXPLAINED, None)
        if errors:
            st.error("Fix these parameters first: " + "; ".join(literal(e) for e in errors), icon="✏️")
        else:
            try:
                with common.guard():
                    st.session_state[STATE_EXPLAINED] = explain.explain(name, values, timeout_ms=timeout_ms)
            except (explain.ExplainError, explain.ExplainRefused) as exc:
                st.error(literal(config.redact_text(str(exc))), icon="🛑")
    result = st.session_state.get(STATE_EXPLAINED)
    if result is not None and result.name == name:
        show_plan(result)


# ---------------------------------------------------------------------------------------------
# The page


charts.enable_theme()
common.header("Admin", ":material/admin_panel_settings:", "Import data, review past imports, and look inside the app's queries.")
if not auth.require_admin():
    st.stop()
st.caption(database_caption())
if auth.configured_password() is not None and st.button("Sign out", key="admin_sign_out"):
    auth.sign_out()
    st.rerun()

import_tab, runs_tab, tokens_tab, explain_tab = st.tabs(["Import", "Import runs", "API tokens", "EXPLAIN ANALYZE"])
with import_tab:
    import_section()
with runs_tab:
    runs_section()
with tokens_tab:
    tokens_section()
with explain_tab:
    explain_section()
