-- Real SSD extracts (issue 11): what an extract carried beyond or short of the contract, and the source-system
-- profile it was loaded with. Written by the loader (csc.ingest.loader; the batch's profile through csc.batches).

alter table ops.extract_batches add column source_profile text;
comment on column ops.extract_batches.source_profile is
    'The source-system profile the extract was loaded with (csc.contract.profiles: generic, systemc, mosaic, eclipse).';

create table ops.extract_shape (
    batch_id    bigint not null references ops.extract_batches on delete cascade,
    kind        text   not null check (kind in ('extra_table', 'extra_column', 'missing_table', 'missing_column',
                                                 'absent_column', 'derived_column')),
    table_name  text   not null,
    column_name text,
    columns     text[],
    rows        bigint,
    detail      text
);
create index extract_shape_batch on ops.extract_shape (batch_id);
comment on table ops.extract_shape is
    'Per loaded batch: extra tables (recorded and skipped: name, columns, rows), extra columns (kept in raw _extra), '
    'missing optional tables and columns (loaded empty), columns the system never writes (absent_column) and '
    'columns filled at load from another table (derived_column).';
