-- The operational record of the pipeline. Owned by csc_owner; never dropped by dbt.
-- Later migrations extend these tables; number them 01xx ingestion, 02xx quality, 03xx dbt and publication,
-- 04xx returns, 05xx orchestration and alerts.

create table ops.extract_batches (
    batch_id         bigint generated always as identity primary key,
    la_code          text        not null,
    extract_date     date        not null,
    extracted_at     timestamptz not null,
    source_system    text,
    ssd_version      text,
    -- identity of the extract's content: sha256 of the manifest's sorted (file, sha256) pairs
    content_sha256   text        not null,
    landing_path     text        not null,
    status           text        not null default 'loading'
        check (status in ('loading', 'loaded', 'checked', 'blocked', 'published', 'superseded', 'refused', 'failed')),
    status_reason    text,
    rows_loaded      bigint,
    received_at      timestamptz not null default now(),
    loaded_at        timestamptz,
    checked_at       timestamptz,
    published_at     timestamptz
);
create index extract_batches_la_status on ops.extract_batches (la_code, status, extract_date);
comment on table ops.extract_batches is 'One row per nightly extract received, with its lifecycle status.';

create table ops.file_loads (
    batch_id       bigint not null references ops.extract_batches on delete cascade,
    file_name      text   not null,
    table_name     text   not null,
    rows_expected  bigint,
    rows_loaded    bigint,
    bytes          bigint,
    sha256         text,
    encoding       text,
    status         text   not null check (status in ('loaded', 'refused', 'skipped')),
    message        text,
    started_at     timestamptz not null,
    finished_at    timestamptz,
    primary key (batch_id, file_name)
);
comment on table ops.file_loads is 'One row per file of a batch: rows, bytes, checksum, encoding, timings.';

create table ops.dq_runs (
    dq_run_id           bigint generated always as identity primary key,
    batch_id            bigint      not null references ops.extract_batches on delete cascade,
    started_at          timestamptz not null,
    finished_at         timestamptz,
    outcome             text check (outcome in ('pass', 'warn', 'block', 'error')),
    rules_evaluated     integer,
    rules_failed_block  integer,
    rules_failed_warn   integer,
    report_path         text
);
comment on table ops.dq_runs is 'One row per data-quality run of a batch.';

create table ops.dq_results (
    dq_run_id       bigint  not null references ops.dq_runs on delete cascade,
    rule_id         text    not null,
    severity        text    not null check (severity in ('block', 'warn')),
    family          text    not null,
    table_name      text,
    rows_evaluated  bigint,
    rows_failing    bigint  not null,
    sample_keys     jsonb   not null default '[]',
    primary key (dq_run_id, rule_id)
);
comment on table ops.dq_results is 'Per run and rule: rows evaluated, rows failing, a bounded sample of failing keys.';

create table ops.pipeline_runs (
    run_id          bigint generated always as identity primary key,
    la_code         text        not null,
    batch_id        bigint references ops.extract_batches on delete set null,
    dag_id          text,
    airflow_run_id  text,
    started_at      timestamptz not null,
    finished_at     timestamptz,
    status          text        not null check (status in ('running', 'success', 'failed', 'blocked', 'skipped')),
    detail          jsonb       not null default '{}'
);
create unique index pipeline_runs_airflow on ops.pipeline_runs (dag_id, airflow_run_id) where airflow_run_id is not null;
comment on table ops.pipeline_runs is 'One row per nightly pipeline run of an LA.';

create table ops.pipeline_steps (
    run_id       bigint not null references ops.pipeline_runs on delete cascade,
    step         text   not null,
    started_at   timestamptz not null,
    finished_at  timestamptz,
    status       text   not null check (status in ('running', 'success', 'failed', 'skipped')),
    detail       jsonb  not null default '{}',
    primary key (run_id, step)
);
comment on table ops.pipeline_steps is 'Per run and step (verify, load, check, build, publish): timings and outcome.';

create table ops.alerts (
    alert_id     bigint generated always as identity primary key,
    alert_key    text        not null unique,  -- e.g. 'dq:<la>:<batch>': one alert per run and kind, never twice
    kind         text        not null,
    la_code      text,
    batch_id     bigint,
    recipients   text[]      not null,
    subject      text        not null,
    status       text        not null check (status in ('pending', 'sent', 'written', 'failed')),
    attempts     integer     not null default 0,
    last_error   text,
    created_at   timestamptz not null default now(),
    sent_at      timestamptz
);
comment on table ops.alerts is 'Alerts sent (or written to the outbox): one row per alert key.';

-- Per LA, the batch dbt builds: the checked candidate if there is one, else the published batch.
create view ops.build_batches as
select distinct on (la_code) batch_id, la_code, extract_date, status
from ops.extract_batches
where status in ('checked', 'published')
order by la_code, (status = 'checked') desc, extract_date desc, batch_id desc;
comment on view ops.build_batches is 'Per LA, the batch that dbt builds: the checked candidate, else the published batch.';
