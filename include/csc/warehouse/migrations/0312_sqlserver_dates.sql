-- SQL Server's CAST(datetime AS varchar) text ("Jun 14 2022 12:00AM", "Jun  4 2022  9:05PM"), which LAs' sqlcmd,
-- bcp and SSMS exports write, read as a date: the loader accepts it (include/csc/ingest/dates.py), so the rule the
-- checks and dbt call must read it too. The other forms are unchanged from 0311_extract_rules.sql.
-- (SQL Server's "2024-12-10 00:00:00.000" is the ISO form with fractional seconds, read since 0311.)
-- Month abbreviations in English as SQL Server writes them (case as written); one or two spaces before the day and
-- the hour (SQL Server pads one digit with a space); the time is optional; the day must exist (ops.calendar_date).
create or replace function ops.extract_date(value text) returns date
language sql immutable parallel safe as $$
    select case
        when value ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,7})?)?)?$'
            then ops.calendar_date(
                substr(value, 1, 4)::integer, substr(value, 6, 2)::integer, substr(value, 9, 2)::integer)
        when value ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}( ([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?)?$'
            then ops.calendar_date(
                split_part(split_part(value, ' ', 1), '/', 3)::integer,
                split_part(split_part(value, ' ', 1), '/', 2)::integer,
                split_part(split_part(value, ' ', 1), '/', 1)::integer)
        when value ~ '^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}[0-9]{1,2} [0-9]{4}( {1,2}(0?[1-9]|1[0-2]):[0-5][0-9][AP]M)?$'
            then ops.calendar_date(
                (regexp_split_to_array(value, ' +'))[3]::integer,
                (position(substr(value, 1, 3) in 'JanFebMarAprMayJunJulAugSepOctNovDec') + 2) / 3,
                (regexp_split_to_array(value, ' +'))[2]::integer)
    end
$$;
comment on function ops.extract_date(text) is 'A raw date in one of the forms the loader accepts, as a date; NULL otherwise.';
