-- Who opened each run record (`<hostname>:<pid>`, from the connection's csc.client setting, set by
-- csc.warehouse.connection.connect). A record still open whose process is gone was interrupted (a warehouse that
-- stopped mid-step, a killed command): the next `csc` start closes it as failed (close_orphaned_runs).
alter table ops.dq_runs add column client text default current_setting('csc.client', true);
alter table ops.dbt_builds add column client text default current_setting('csc.client', true);
alter table ops.pipeline_steps add column client text default current_setting('csc.client', true);

-- A data-quality run interrupted before it reached an outcome is closed as 'failed'.
alter table ops.dq_runs drop constraint dq_runs_outcome_check;
alter table ops.dq_runs add constraint dq_runs_outcome_check
    check (outcome in ('pass', 'warn', 'block', 'error', 'failed'));
comment on column ops.dq_runs.outcome is 'pass, warn, block; error (the run raised); failed (interrupted: its process went away, closed by the next start).';
