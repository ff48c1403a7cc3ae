-- A role that can only read: the pages' connections SET ROLE to it (db/engine.py), so a write is
-- refused by privileges, not only by default_transaction_read_only (which SQL could switch off).
-- Runs last so every table exists; re-run on every start, so tables added later are granted too.
-- Where the login role may not create roles (some hosted servers), the pages keep the read-only
-- default alone and this block only leaves a notice.
do $$
begin
  -- roles belong to the whole server, while the import lock this runs under belongs to one
  -- database: two databases of one server set up at once both see no role, and the second CREATE
  -- (or membership GRANT) fails on the first's row once that commits; the role is there either way
  if not exists (select 1 from pg_roles where rolname = 'mtm_reader') then
    begin
      create role mtm_reader nologin;
    exception when duplicate_object or unique_violation then
      null;
    end;
  end if;
  grant usage on schema public to mtm_reader;
  grant select on all tables in schema public to mtm_reader;
  revoke create on schema public from mtm_reader;
  if not pg_has_role(current_user, 'mtm_reader', 'member') then
    begin
      execute format('grant mtm_reader to %I', current_user);
    exception when duplicate_object or unique_violation then
      null;
    end;
  end if;
exception when insufficient_privilege then
  raise notice 'read-only role mtm_reader not set up: %', sqlerrm;
end $$;
