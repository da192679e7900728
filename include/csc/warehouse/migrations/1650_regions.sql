-- Regional pooling (issue 14): several LAs of one region in one warehouse, compared side by side in
-- marts.regional_indicator_comparison, which the region's analysts (csc_regional_analyst) read and nothing else.
--
-- ops.la_regions: each configured LA's region (config/las.yml `region:`), copied here by every `csc build` before
-- dbt runs (csc.transform.targets.sync_regions), as the targets are; an LA with no region is in no region.
create table ops.la_regions (
    la_code    text not null primary key,
    la_name    text not null,
    region     text not null,
    synced_at  timestamptz not null default now()
);
comment on table ops.la_regions is 'Per LA: its region in config/las.yml (`region:`), as last synced by csc build.';

-- ops.regional_access: the region each regional analyst's login reads (`csc bi add-login NAME --region REGION`).
-- The regional mart's row-level security reads it: a login sees only its own row, so only its own region.
create table ops.regional_access (
    role_name   text not null primary key,
    region      text not null,
    granted_at  timestamptz not null default now()
);
comment on table ops.regional_access is
    'Regional pooling: the region whose rows of marts.regional_indicator_comparison each regional login reads.';
alter table ops.regional_access enable row level security;
create policy own_region on ops.regional_access for select to csc_regional_analyst using (
    role_name in (select rolname from pg_roles where pg_has_role(oid, 'USAGE'))
);
grant usage on schema ops to csc_regional_analyst;
grant select on ops.regional_access to csc_regional_analyst;

-- Publication ends the reader sessions that block its swap (security finding 6): a regional analyst's too.
create or replace function ops.end_reader_sessions_locking(relations oid[]) returns integer
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
          and (pg_has_role(r.oid, 'bi_reader', 'member') or pg_has_role(r.oid, 'csc_casework', 'member')
               or pg_has_role(r.oid, 'csc_regional_analyst', 'member'))
    ) as readers
    where pg_terminate_backend(readers.pid)
$$;
