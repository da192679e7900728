-- Each LA's indicator targets and RAG thresholds, from the targets file named in config/las.yml (`targets:`), copied
-- here by every `csc build` before dbt runs (csc.transform.targets). dbt's int_indicator_targets reads an LA's rows
-- from here and falls back to the indicator_targets seed for an LA with no rows here.
create table ops.la_indicator_targets (
    la_code          text    not null,
    indicator_id     text    not null,
    effective_from   date    not null,
    target           numeric,
    amber_threshold  numeric,
    target_source    text,
    targets_file     text    not null,
    synced_at        timestamptz not null default now(),
    primary key (la_code, indicator_id, effective_from)
);
comment on table ops.la_indicator_targets is 'Per LA: the targets file of config/las.yml as last synced by csc build.';
