-- Nightly return readiness (issue 13 item 4): after each publication the nightly run builds and validates the
-- current collection year's 903 and CIN files (csc.statutory.readiness). One row per night and LA: what happened
-- (done, or why it did not run) and the validation runs it made. The DQ report and the performance leads' alert read
-- their "Return readiness" section from here and from the validation runs.
create table ops.statutory_readiness (
    readiness_id       bigint generated always as identity primary key,
    la_code            text        not null,
    run_id             bigint references ops.pipeline_runs on delete set null,
    batch_id           bigint references ops.extract_batches on delete set null,
    extract_date       date        not null,
    collection_year    text        not null check (collection_year ~ '^[0-9]{4}-[0-9]{2}$'),
    status             text        not null check (status in ('done', 'not_run', 'disabled')),
    detail             text,       -- why it did not run (validators' environment missing, switched off)
    validation_run_ids bigint[]    not null default '{}',
    recorded_at        timestamptz not null default now()
);
create index statutory_readiness_la on ops.statutory_readiness (la_code, recorded_at desc);
