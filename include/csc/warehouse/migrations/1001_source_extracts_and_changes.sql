-- Extracts read straight from an LA's reporting database (`csc extract`), and the night-to-night change summary of
-- every loaded extract, whatever way it arrived (csc.ingest.changes). Operational records: never in the marts.

create table ops.source_extracts (
    extract_id    bigint generated always as identity primary key,
    la_code       text        not null,
    extract_date  date        not null,
    source_kind   text        not null check (source_kind in ('postgresql', 'mssql')),
    started_at    timestamptz not null default now(),
    finished_at   timestamptz,
    status        text        not null default 'running'
        check (status in ('running', 'complete', 'refused', 'failed', 'interrupted')),
    attempts      integer     not null default 1,
    folder        text,
    detail        jsonb       not null default '{}'
);
create index source_extracts_la on ops.source_extracts (la_code, extract_date);
comment on table ops.source_extracts is 'One row per `csc extract` of an LA''s source database: outcome, attempts, folder.';

create table ops.source_extract_tables (
    extract_id  bigint  not null references ops.source_extracts on delete cascade,
    table_name  text    not null,
    source_name text    not null,
    rows        bigint  not null,
    bytes       bigint  not null,
    seconds     numeric not null,
    primary key (extract_id, table_name)
);
comment on table ops.source_extract_tables is 'Per table of a source extract (last attempt): rows, bytes and seconds.';

create table ops.extract_changes (
    batch_id           bigint  not null references ops.extract_batches on delete cascade,
    table_name         text    not null,
    la_code            text    not null,
    previous_batch_id  bigint references ops.extract_batches on delete set null,
    compared_by        text    not null check (compared_by in ('primary_key', 'natural_key', 'content_hash')),
    key_columns        text[]  not null,
    rows_new           bigint  not null,
    rows_changed       bigint  not null,
    rows_deleted       bigint  not null,
    rows_unchanged     bigint  not null,
    rows_total         bigint  not null,
    warning            text,
    computed_at        timestamptz not null default now(),
    primary key (batch_id, table_name)
);
comment on table ops.extract_changes is
    'Per loaded batch and table: rows new, changed, deleted and unchanged since the LA''s previously published batch.';
