-- Every record a data-quality rule flags in a run (not only the bounded sample kept in ops.dq_results).
-- dbt's DQ_PASS_RATE and the checks' own tests read it. record_key holds source ids (identifiable): it stays in ops.
create table ops.dq_failing_records (
    dq_run_id   bigint not null references ops.dq_runs on delete cascade,
    rule_id     text   not null,
    kind        text   not null check (kind in ('fault', 'exception')),
    table_name  text   not null,
    record_key  text   not null,  -- primary key value(s) of the flagged record, composite keys joined with '|'
    primary key (dq_run_id, rule_id, table_name, record_key)
);
create index dq_failing_records_run_table on ops.dq_failing_records (dq_run_id, table_name, record_key);
comment on table ops.dq_failing_records is 'Every record flagged by a data-quality rule in a run (fault = data error, exception = practice backlog).';
