-- Placeholder on branch `api` only: 0010 is reserved for another branch's migration, and
-- db/schema.py refuses a gap in the numbers. Delete this file when merging that branch.
select 1;
