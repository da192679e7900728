-- The product's rules for reading an extract's raw text, in one place: dbt staging (macros parse_extract_values,
-- normalise_codes, working_days) and the data-quality checks (catalogue.yml, through the ops.dq_* names below) both
-- call these functions, and the loader's date forms (include/csc/ingest/dates.py) are tested against
-- ops.extract_date on the same inputs (tests/integration/quality/test_rules_once_sql.py).
--
-- Not a migration: `csc init` applies this file on every run, before the numbered migrations and with function
-- bodies checked at call time (ops.dq_calendar may not exist yet), so changing a rule means editing it here and
-- nowhere else. Every statement is `create or replace` (the signatures never change; a new signature is a new
-- function). Each rule is a single SQL expression, immutable where it reads no table: PostgreSQL inlines it into
-- the calling query, so a model pays nothing for the call.

-- A calendar date from its parts; NULL when there is no such day (30 February, 29 February 2023, month 13, year 0).
create or replace function ops.calendar_date(y integer, m integer, d integer) returns date
language sql immutable parallel safe as $$
    select case
        when y >= 1 and m between 1 and 12
            and d between 1 and extract(day from make_date(y, m, 1) + interval '1 month' - interval '1 day')
        then make_date(y, m, d)
    end
$$;

-- A date of the extract as the loader accepts it (ingest/dates.py ACCEPTED_FORMS), else NULL:
--   yyyy-mm-dd, optionally followed by T or a space and hh:mm, hh:mm:ss or hh:mm:ss.f (1 to 7 digits);
--   d/m/yyyy (day and month with or without a leading zero), optionally followed by a space and hh:mm or hh:mm:ss;
--   SQL Server's CAST(datetime AS varchar) text ("Jun 14 2022 12:00AM", "Jun  4 2022  9:05PM"), which sqlcmd, bcp
--   and SSMS exports write: English month abbreviations as SQL Server writes them, one or two spaces before the day
--   and the hour, the time optional. (SQL Server's "2024-12-10 00:00:00.000" is the ISO form with a fraction.)
-- Digits are [0-9], never \d (which a server locale may widen to other scripts' digits).
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

-- A code: trimmed and upper-case, blank as NULL.
create or replace function ops.extract_code(value text) returns text
language sql immutable parallel safe as $$
    select nullif(upper(btrim(value)), '')
$$;

-- Sex: legacy codes 1/2 (before 2024-25) become M/F; anything else as a code (the checks report what is invalid).
create or replace function ops.extract_sex(value text) returns text
language sql immutable parallel safe as $$
    select case ops.extract_code(value) when '1' then 'M' when '2' then 'F' else ops.extract_code(value) end
$$;

-- Category of abuse: the words some systems write (Neglect, Physical abuse...) become NEG/PHY/SAB/EMO/MUL.
create or replace function ops.extract_category_of_abuse(value text) returns text
language sql immutable parallel safe as $$
    select case
        when lower(btrim(value)) in ('neg', 'neglect') then 'NEG'
        when lower(btrim(value)) in ('phy', 'physical', 'physical abuse') then 'PHY'
        when lower(btrim(value)) in ('sab', 'sexual', 'sexual abuse') then 'SAB'
        when lower(btrim(value)) in ('emo', 'emotional', 'emotional abuse') then 'EMO'
        when lower(btrim(value)) in ('mul', 'multiple', 'multiple/not recommended') then 'MUL'
        else ops.extract_code(value)
    end
$$;

-- A Y/N flag (either case, padded or not) as a boolean; anything else NULL.
create or replace function ops.extract_flag(value text) returns boolean
language sql immutable parallel safe as $$
    select case upper(btrim(value)) when 'Y' then true when 'N' then false end
$$;

-- Working days from date a to date b, the working days d with a < d <= b (INDICATORS.md), from the two dates'
-- working-day numbers in a calendar of the bank_holidays seed (dbt: int_calendar_days; checks: ops.dq_calendar):
-- 0 when b is on or before a, NULL when either is unknown or outside the calendar.
create or replace function ops.working_days_between(start_number integer, end_number integer) returns integer
language sql immutable parallel safe as $$
    select case when start_number is not null and end_number is not null
        then greatest(end_number - start_number, 0) end  -- greatest() alone would turn a NULL into 0
$$;

-- The checks' names (catalogue.yml, include/csc/quality) call the rules above: nothing is written twice.
create or replace function ops.dq_make_date(y integer, m integer, d integer) returns date
language sql immutable parallel safe as $$ select ops.calendar_date(y, m, d) $$;

create or replace function ops.dq_date(value text) returns date
language sql immutable parallel safe as $$ select ops.extract_date(value) $$;
comment on function ops.dq_date(text) is 'ops.extract_date under the name the data-quality rules use.';

create or replace function ops.dq_code(value text) returns text
language sql immutable parallel safe as $$ select ops.extract_code(value) $$;

create or replace function ops.dq_sex(value text) returns text
language sql immutable parallel safe as $$ select ops.extract_sex(value) $$;

create or replace function ops.dq_category_of_abuse(value text) returns text
language sql immutable parallel safe as $$ select ops.extract_category_of_abuse(value) $$;

create or replace function ops.dq_flag(value text) returns boolean
language sql immutable parallel safe as $$ select ops.extract_flag(value) $$;

create or replace function ops.dq_working_days(a date, b date) returns integer
language sql stable parallel safe as $$
    select ops.working_days_between(
        (select working_day_number from ops.dq_calendar where day = a),
        (select working_day_number from ops.dq_calendar where day = b))
$$;

-- An SSD outcome JSON object ({"NFA_FLAG": "Y", ..., "NUMBER_OF_OUTCOMES": 2, "COMMENTS": "..."}) as jsonb, read as
-- the SSD writes it. The SSD builds it by string concatenation and pastes comments in unescaped, so a quote,
-- backslash or line break in a comment makes the whole object invalid JSON: then each "KEY": "value" pair of an
-- upper-case key with a short value (flags are TRY_CAST(... AS nvarchar(3))) or a whole number is recovered, the
-- first occurrence of a key winning (a comment comes after the flags). NULL for a blank value, and for an object
-- that truly cannot be read (nothing recovered): the check STR_JSON names those records (catalogue.yml).
create or replace function ops.outcome_json(value text) returns jsonb
language sql immutable parallel safe as $$
    select case
        when value is null or btrim(value) = '' then null
        when ops.dq_is_json(value) then case when jsonb_typeof(value::jsonb) = 'object' then value::jsonb end
        else (
            select jsonb_object_agg(pair.key, pair.value)
            from (
                select distinct on (found.m[1]) found.m[1] as key, coalesce(found.m[2], found.m[3]) as value
                from regexp_matches(value, '"([A-Z][A-Z0-9_]*)"\s*:\s*(?:"([^"\\]{0,10})"|([0-9]{1,9})\M)', 'g')
                    with ordinality as found(m, n)
                order by found.m[1], found.n
            ) as pair
        )
    end
$$;
comment on function ops.outcome_json(text) is 'An SSD outcome JSON object as jsonb, its flags recovered when unescaped comments make it invalid JSON; NULL when blank or unreadable.';
