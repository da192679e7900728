-- Data-quality checks (include/csc/quality): what each rule found per run, the reference data the rules read, the
-- measures volume rules compare night to night, and the normalisations the rules apply to raw text.

-- Per run: the counts the alert and the report show without re-reading every result.
alter table ops.dq_runs
    add column rules_failed_error integer,
    add column fault_records      bigint,
    add column exception_records  bigint,
    add column expected_extract_date date,
    add column detail             jsonb not null default '{}';
comment on column ops.dq_runs.detail is 'Run facts: previous published batch compared with, timings, Data Docs path.';

-- Per run and rule: what kind of rule, whether it passed, what it measured, and where the failures sit.
alter table ops.dq_results
    add column kind        text  not null default 'fault' check (kind in ('fault', 'exception')),
    add column status      text  not null default 'pass' check (status in ('pass', 'fail', 'error', 'skipped')),
    add column description text,
    add column observed    jsonb not null default '{}',
    add column team_counts jsonb not null default '{}',
    add column error       text;
comment on column ops.dq_results.status is 'pass, fail, error (the rule could not be evaluated), skipped (nothing to compare with).';
comment on column ops.dq_results.observed is 'What a batch-level rule measured, e.g. this night''s and the previous published night''s counts.';
comment on column ops.dq_results.team_counts is 'Failing records per team (team id -> count) where the rule can place them in a team.';
create index dq_results_rule on ops.dq_results (rule_id, dq_run_id);

-- Reference data copied from dbt_project/seeds/reference (the one source of codes and bank holidays) so that rules
-- can run before dbt has built anything. Refreshed by the checks whenever the seed file changes.
create table ops.dq_code_lists (
    code_list        text not null,
    code             text not null,
    normalised_code  text not null,  -- the code as the checks compare it (legacy sex 1/2 become M/F, as in staging)
    description      text,
    valid_from_year  integer,        -- collection years: 2024 means April 2024 to March 2025
    valid_to_year    integer,
    primary key (code_list, code)
);
create index dq_code_lists_normalised on ops.dq_code_lists (code_list, normalised_code);
comment on table ops.dq_code_lists is 'Copy of seeds/reference/code_lists.csv for the data-quality checks.';

create table ops.dq_calendar (
    day                 date    primary key,
    is_working_day      boolean not null,
    working_day_number  integer not null  -- working days on or before this day since the start of the calendar
);
comment on table ops.dq_calendar is 'Working days (Monday-Friday except England and Wales bank holidays from seeds/reference/bank_holidays.csv).';

create table ops.dq_reference_versions (
    name            text primary key,
    content_sha256  text not null,
    refreshed_at    timestamptz not null default now()
);
comment on table ops.dq_reference_versions is 'Which version of each seed file the data-quality reference tables hold.';

-- Per batch: row counts and key stocks as at the extract date, compared night to night by the volume rules.
create table ops.dq_batch_measures (
    batch_id     bigint  not null references ops.extract_batches on delete cascade,
    measure      text    not null,  -- 'rows:<table>' or a stock: open_cases, cp_plans, cla, unallocated
    value        numeric not null,
    measured_at  timestamptz not null default now(),
    primary key (batch_id, measure)
);
comment on table ops.dq_batch_measures is 'Row counts and key stocks per batch, measured by the data-quality checks.';

-- Normalisations: ops.dq_make_date, dq_date, dq_code, dq_sex, dq_category_of_abuse, dq_flag and dq_working_days
-- are the rules of include/csc/warehouse/rules.sql (applied by every `csc init` before the migrations), shared
-- with dbt staging. The functions below build on them.

create function ops.dq_normalised_code(code_list text, value text) returns text
language sql immutable parallel safe as $$
    select case code_list
        when 'sex' then ops.dq_sex(value)
        when 'category_of_abuse' then ops.dq_category_of_abuse(value)
        else ops.dq_code(value)
    end
$$;
comment on function ops.dq_normalised_code(text, text) is 'A raw code as staging normalises it for its code list.';

create function ops.dq_collection_year(day date) returns integer
language sql immutable parallel safe as $$
    select extract(year from day - interval '3 months')::integer
$$;
comment on function ops.dq_collection_year(date) is 'The April-March collection year of a date: 2024 for 1 April 2024 to 31 March 2025.';

-- The n-th working day after a (a itself for n = 0); NULL outside the calendar.
create function ops.dq_add_working_days(a date, n integer) returns date
language sql stable parallel safe as $$
    select case when n <= 0 then a else (
        select min(c.day) from ops.dq_calendar c
        where c.is_working_day
          and c.working_day_number = (select working_day_number from ops.dq_calendar where day = a) + n)
    end
$$;
create index dq_calendar_working_day_number on ops.dq_calendar (working_day_number) where is_working_day;

-- Whether a raw value is well-formed JSON. PostgreSQL 16 validates without an exception handler; older servers
-- (an existing PostgreSQL 15 warehouse) fall back to a cast inside plpgsql.
do $migration$
begin
    if current_setting('server_version_num')::integer >= 160000 then
        execute $f$
            create function ops.dq_is_json(value text) returns boolean
            language sql immutable parallel safe as $$ select pg_input_is_valid(value, 'jsonb') $$
        $f$;
    else
        execute $f$
            create function ops.dq_is_json(value text) returns boolean
            language plpgsql immutable parallel safe as $$
            begin
                perform value::jsonb;
                return true;
            exception when others then
                return false;
            end $$
        $f$;
    end if;
end
$migration$;
