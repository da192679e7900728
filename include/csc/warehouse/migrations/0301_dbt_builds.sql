-- dbt builds and publication (03xx): what each build did, per model and test, and who may read which casework rows.

-- One row per `csc build` (csc.transform.build): the batches it built, its outcome and figures. Publication
-- (csc.transform.publish) swaps in the marts of a successful build and stamps published_at.
create table ops.dbt_builds (
    build_id            bigint generated always as identity primary key,
    started_at          timestamptz not null,
    finished_at         timestamptz,
    status              text        not null check (status in ('running', 'success', 'failed')),
    publication_suffix  text        not null,  -- the shadow schemas built (marts<suffix>, casework<suffix>)
    selection           text,                  -- dbt --select/--exclude of a partial build (blank: everything)
    builds_every_model  boolean     not null,  -- only such a build can be published
    batches             jsonb       not null default '[]',  -- [{la_code, batch_id, extract_date, status}] built
    dbt_version         text,
    invocation_id       text,
    models_ok           integer,
    models_failed       integer,
    tests_passed        integer,
    tests_warned        integer,
    tests_failed        integer,
    skipped             integer,
    elapsed_seconds     numeric,
    message             text,
    published_at        timestamptz
);
comment on table ops.dbt_builds is 'One row per dbt build of the warehouse: batches built, outcome, counts, timings, publication.';

-- One row per node dbt ran in a build (model, seed, data test, unit test): status, timing and rows.
create table ops.dbt_model_runs (
    build_id           bigint  not null references ops.dbt_builds on delete cascade,
    unique_id          text    not null,
    resource_type      text    not null,
    name               text    not null,
    status             text    not null,
    started_at         timestamptz,
    completed_at       timestamptz,
    execution_seconds  numeric,
    rows_affected      bigint,
    failures           bigint,
    relation           text,
    message            text,
    primary key (build_id, unique_id)
);
comment on table ops.dbt_model_runs is 'Per build and dbt node (model, seed, test): status, timing, rows affected, failures.';

-- Which casework rows a role may read: the casework lists' row-level security policies read this table.
-- team_id blank = every team of the LA (including rows with no team).
create table ops.casework_team_access (
    role_name   text        not null,
    la_code     text        not null,
    team_id     text,
    granted_at  timestamptz not null default now(),
    unique nulls not distinct (role_name, la_code, team_id)
);
comment on table ops.casework_team_access is 'Casework row-level security: the LAs and teams whose exception lists each casework role may read.';

-- Casework readers evaluate the policies as themselves: they read their own grants, nobody else's.
alter table ops.casework_team_access enable row level security;
create policy own_grants on ops.casework_team_access for select to csc_casework using (role_name = current_user);
grant usage on schema ops to csc_casework;
grant select on ops.casework_team_access to csc_casework;
