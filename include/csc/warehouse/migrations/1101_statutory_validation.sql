-- The DfE validators' verdict on the statutory returns the product built (`csc statutory validate`, issue 13):
-- one run per return and collection year, every rule's status, and every issue (rule, child, field). A rule that
-- crashed is 'not_run', never 'passed'. See csc.statutory.validate.
create table ops.statutory_validation_runs (
    validation_run_id bigint generated always as identity primary key,
    la_code           text        not null,
    return_kind       text        not null check (return_kind in ('903', 'cin')),
    collection_year   text        not null check (collection_year ~ '^[0-9]{4}-[0-9]{2}$'),
    ruleset           text        not null,  -- the validator's rule set, e.g. lac2025_26
    validator         text        not null,  -- the PyPI package, e.g. csc-validator-be-903
    validator_version text        not null,
    files_folder      text        not null,  -- where the validated files were written (owner-only)
    batch_id          bigint references ops.extract_batches on delete set null,  -- the published batch built from
    started_at        timestamptz not null,
    finished_at       timestamptz not null default now(),
    errors            integer     not null,  -- issues of failed error rules not skipped by the product
    blocking_rules    integer     not null   -- failed error rules and rules not run that no known reason covers
);
create index statutory_validation_runs_la on ops.statutory_validation_runs (la_code, return_kind, collection_year,
                                                                            finished_at desc);

create table ops.statutory_rule_results (
    validation_run_id bigint not null references ops.statutory_validation_runs on delete cascade,
    rule_code         text   not null,
    description       text,
    severity          text   not null check (severity in ('error', 'query')),
    status            text   not null check (status in ('passed', 'failed', 'skipped', 'not_run')),
    detail            text,   -- the validator's skip, the crash's last line, or the product's reason for skipping
    issues            integer not null default 0,
    primary key (validation_run_id, rule_code)
);

create table ops.statutory_issues (
    validation_run_id bigint  not null references ops.statutory_validation_runs on delete cascade,
    rule_code         text    not null,
    child_id          text,   -- the LA's own child id (CHILD, LAchildID) as in the return; null for return-level
    table_name        text,   -- the validator's table, e.g. Episodes, CINdetails
    field             text,
    row_no            integer -- the row of that table in the validator's reading of the file (0-based)
);
create index statutory_issues_run on ops.statutory_issues (validation_run_id, rule_code);
comment on table ops.statutory_issues is
    'Every issue the DfE validators found in a statutory return the product built: rule, child, table, field, row.';
