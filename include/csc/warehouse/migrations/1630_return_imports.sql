-- The import set of each LA (issue 14, csc import 903|cin|annex-a): the statutory returns imported, one current
-- import per LA, kind and period (a re-imported year replaces that year), and every revision of the set, rendered as
-- one SSD-shaped extract and loaded as one batch (source_kind 'returns'). The parsed rows are child-level and stay out
-- of ops (which the DQ reader reads): they are kept owner-only under CSC_HOME/imports, named by their sha256 here.
create table ops.return_imports (
    import_id       bigint generated always as identity primary key,
    la_code         text        not null,
    kind            text        not null check (kind in ('903', 'cin', 'annex-a')),
    period          text        not null,  -- collection year (2025-26) or, for Annex A, the as-of date
    window_start    date        not null,  -- the dates the return is authoritative for
    window_end      date        not null,
    content_sha256  text        not null check (content_sha256 ~ '^[0-9a-f]{64}$'),  -- of the parsed rows
    stored_path     text        not null,
    source_files    jsonb       not null default '[]',  -- [{name, sha256, bytes}] as received
    rows            jsonb       not null default '{}',  -- SSD table -> rows
    notices         jsonb       not null default '[]',
    imported_at     timestamptz not null default now(),
    replaced_at     timestamptz,
    replaced_by     bigint references ops.return_imports
);
create unique index return_imports_current on ops.return_imports (la_code, kind, period) where replaced_at is null;
comment on table ops.return_imports is
    'Statutory returns imported (csc import): one current row per LA, kind and period; a re-import replaces it.';

create table ops.return_import_revisions (
    revision_id   bigint generated always as identity primary key,
    la_code       text        not null,
    import_ids    bigint[]    not null,  -- the import set this revision combines
    extract_date  date        not null,  -- the latest window end of the set
    extracted_at  timestamptz not null,  -- when the set changed: later than every earlier revision of the LA
    batch_id      bigint references ops.extract_batches on delete set null,
    created_at    timestamptz not null default now()
);
create index return_import_revisions_la on ops.return_import_revisions (la_code, revision_id desc);
comment on table ops.return_import_revisions is
    'Each change of an LA''s import set, with the extract date and time its combined batch was rendered with.';
