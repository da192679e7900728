-- Ingestion (issue 4): what the loader records beyond 0001_ops_core.

alter table ops.extract_batches
    add column la_name       text,
    add column manifest      jsonb,
    add column archive_path  text,
    add column superseded_by bigint references ops.extract_batches (batch_id) on delete set null,
    add column raw_purged_at timestamptz;
comment on column ops.extract_batches.manifest is 'The manifest.json received with the extract, as sent.';
comment on column ops.extract_batches.archive_path is 'Compressed copy of the landed files with their checksums.';
comment on column ops.extract_batches.superseded_by is 'The batch that replaced this one (a corrected or newer extract).';
comment on column ops.extract_batches.raw_purged_at is 'When this batch''s rows were deleted from raw (retention).';

-- Finding an earlier load of the same extract. Loads of one LA are serialised by an advisory lock in the loader
-- (identity includes the LA), so this need not be unique.
create index extract_batches_identity on ops.extract_batches (content_sha256);

alter table ops.file_loads
    add column header          text[],
    add column missing_columns text[] not null default '{}',
    add column slow_regions    integer;
comment on column ops.file_loads.header is 'The file''s header as written (case and order kept).';
comment on column ops.file_loads.missing_columns is 'Optional contract columns absent from the file: loaded as NULL.';
comment on column ops.file_loads.slow_regions is 'Regions of the file read record by record (non-standard CSV quoting).';

-- Every call of the loader, whatever its outcome. A refusal whose manifest could not be read has no batch.
create table ops.load_attempts (
    attempt_id      bigint generated always as identity primary key,
    landing_path    text        not null,
    la_code         text,
    extract_date    date,
    content_sha256  text,
    batch_id        bigint references ops.extract_batches on delete set null,
    outcome         text        not null check (outcome in ('loaded', 'skipped', 'refused', 'failed')),
    reason          text,
    message         text,
    file_name       text,
    line_no         integer,
    column_name     text,
    quarantine_path text,
    started_at      timestamptz not null,
    finished_at     timestamptz not null
);
create index load_attempts_la on ops.load_attempts (la_code, started_at);
comment on table ops.load_attempts is 'Every load of an extract: loaded, skipped (already loaded), refused (with where and why) or failed.';
