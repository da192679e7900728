-- Where a build's dbt process runs, so that the next build can make sure it is gone before it starts (a build
-- killed with kill -9 must not leave dbt writing to the shadow schemas behind the build lock's back).
alter table ops.dbt_builds
    add column dbt_pid  integer,  -- dbt's process id; dbt leads its own process group (pgid = pid)
    add column dbt_pgid integer,
    add column dbt_host text;     -- the host dbt ran on (a process group can only be signalled from there)
