-- Findings a performance lead knows about and has accepted (`csc dq accept`): the nightly data-quality alert stops
-- repeating them until the acceptance expires, is revoked, or the record changes (its raw row no longer hashes to
-- record_hash). The report still lists them, as accepted. See csc.quality.accepted.
create table ops.dq_accepted_findings (
    acceptance_id  bigint generated always as identity primary key,
    la_code        text        not null,
    rule_id        text        not null,
    table_name     text        not null,
    record_key     text        not null,  -- as in ops.dq_failing_records (composite keys joined with '|')
    record_hash    text        not null,  -- md5 of the record's raw row as extracted (every contract column) when accepted
    batch_id       bigint references ops.extract_batches on delete set null,  -- the batch the record was accepted in
    dq_run_id      bigint references ops.dq_runs on delete set null,          -- the check run that flagged it
    reason         text        not null check (length(trim(reason)) > 0),
    accepted_by    text        not null check (length(trim(accepted_by)) > 0),
    accepted_until date        not null,  -- inclusive: the last extract date the acceptance covers
    accepted_at    timestamptz not null default now(),
    revoked_at     timestamptz,
    revoked_by     text
);
create unique index dq_accepted_findings_active
    on ops.dq_accepted_findings (la_code, rule_id, table_name, record_key) where revoked_at is null;
comment on table ops.dq_accepted_findings is
    'Data-quality findings accepted by a performance lead (rule, record, reason, who, until when): not repeated by the alert.';
