-- The pipeline's own locks (security finding 6). They used to be advisory locks, which any session, a BI login's
-- included, can take and hold: holding them stopped `csc build`, `csc publish`, `csc init` and loads. They are now
-- row locks on this table (SELECT ... FOR UPDATE), which needs UPDATE on it: only the pipeline roles have it.
-- csc.warehouse.locks takes them. Names: 'init', 'build' (builds and publication), 'load:<la_code>'.
create table ops.pipeline_locks (
    name        text primary key,
    created_at  timestamptz not null default now()
);
comment on table ops.pipeline_locks is 'One row per pipeline lock; the lock is a row lock (FOR UPDATE) on the row.';
insert into ops.pipeline_locks (name) values ('init'), ('build');

-- Publication ends the reader sessions (members of bi_reader or csc_casework, never a superuser) that hold a lock on
-- the relations it is about to swap. Security definer: csc_owner holds pg_signal_backend (granted by `csc init`);
-- only csc_transformer may call it.
create function ops.end_reader_sessions_locking(relations oid[]) returns integer
language sql volatile security definer set search_path = pg_catalog, pg_temp as $$
    select count(*)::integer from (
        select distinct l.pid
        from pg_locks as l
        join pg_stat_activity as a on a.pid = l.pid
        join pg_roles as r on r.oid = a.usesysid
        where l.locktype = 'relation'
          and l.granted
          and l.relation = any(relations)
          and l.database = (select oid from pg_database where datname = current_database())
          and l.pid <> pg_backend_pid()
          and not r.rolsuper
          and (pg_has_role(r.oid, 'bi_reader', 'member') or pg_has_role(r.oid, 'csc_casework', 'member'))
    ) as readers
    where pg_terminate_backend(readers.pid)
$$;
revoke all on function ops.end_reader_sessions_locking(oid[]) from public;
grant execute on function ops.end_reader_sessions_locking(oid[]) to csc_transformer;

-- Casework logins read their teams' rows directly (finding 10): a login sees the grants of every role whose
-- privileges it has (itself, or a team role it is a member of), without SET ROLE.
drop policy own_grants on ops.casework_team_access;
create policy own_grants on ops.casework_team_access for select to csc_casework using (
    role_name in (select rolname from pg_roles where pg_has_role(oid, 'USAGE'))
);
