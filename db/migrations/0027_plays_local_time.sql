-- The local day and hour of a rollup bucket, by arithmetic where the zone allows it. The timelines,
-- heatmap, hours of day and streaks (db/sql/plays.sql) converted every hourly or quarter-hour rollup row
-- of their range with AT TIME ZONE, the heatmap twice per row: at 1,000,000 plays an all-time view reads
-- 90,000-280,000 rows, and in a zone with a :30 or :45 offset the conversions were most of its time
-- (EXPLAIN ANALYZE: the projection above the scan; bench.plays: the all-time heatmap in Asia/Kathmandu).
-- A zone that kept one offset over every day of the data (India, Nepal, Japan, China, most of Africa and
-- South America, UTC: plays_time_zone's fixed_offset) needs no conversion: a bucket's local time is its
-- UTC epoch plus that offset. Other zones convert as before, once per row. Both functions are inlined
-- into the calling query (stable, not immutable: date_part of a timestamptz is stable, and a function
-- declared more constant than its body is not inlined but called per row), and the caller passes
-- fixed_offset as a constant (null or not), so the planner keeps one of the two ways and the plan
-- has the shape it had before.

-- The local date in the zone `tz` of the instant `bucket_utc`; fixed_offset: the zone's offset in
-- seconds when it is the same at every instant the caller asks about, else null.
create or replace function plays_z_local_day(bucket_utc timestamptz, tz text, fixed_offset integer) returns date
language sql stable parallel safe
return case when fixed_offset is null then (bucket_utc at time zone tz)::date
            else date '1970-01-01' + floor((date_part('epoch', bucket_utc) + fixed_offset) / 86400)::integer end;

-- The hour of the local week of the instant `bucket_utc`: 0 = Monday 00:00-01:00 ... 167 = Sunday
-- 23:00-24:00 (1970-01-01 was a Thursday: hour 72). The hour of day is this modulo 24, the ISO
-- weekday this / 24 + 1. One conversion (or none, with fixed_offset as above) per row.
create or replace function plays_z_week_hour(bucket_utc timestamptz, tz text, fixed_offset integer) returns integer
language sql stable parallel safe
return mod(mod(floor(case when fixed_offset is null then date_part('epoch', bucket_utc at time zone tz)
                          else date_part('epoch', bucket_utc) + fixed_offset end / 3600)::bigint + 72, 168) + 168,
           168)::integer;
