-- Every LA's effective vocabularies (its source-system profile, include/csc/contract/profiles/, with the LA's
-- `vocabulary:` overrides of config/las.yml applied), materialised so that dbt staging and the data-quality checks
-- map source values to DfE codes and product roles with the same rows. Refreshed by csc.quality.vocabulary before
-- every check run and every build (one owner: refresh_vocabularies).
--
-- Rows exist for every configured LA under every profile (the LA's overrides applied to each), so that a batch
-- loaded with another profile (csc load --system) is read with that profile; la_code '*' holds every profile
-- without overrides, for a batch of an LA not (or no longer) configured.

create table ops.la_source_systems (
    la_code                 text    not null,  -- '*': any LA not configured
    system                  text    not null,  -- the profile's name (generic, systemc, mosaic, eclipse)
    is_configured           boolean not null,  -- the LA's own system (config/las.yml `system:`, default generic)
    allocation_role         text    not null,  -- the product role that means "allocated case worker"
    allocation_flag_column  text,              -- the source flag (an _extra key of ssd_involvements) that confirms it
    worker_columns          jsonb   not null default '{}',  -- "<table>.<column>" -> name | staff_id
    refreshed_at            timestamptz not null default now(),
    primary key (la_code, system)
);
comment on table ops.la_source_systems is 'Per LA and source-system profile: the allocation rule and worker columns in force (csc.quality.vocabulary).';

create table ops.la_vocabulary (
    la_code       text    not null,  -- '*': any LA not configured
    system        text    not null,
    concept       text    not null,  -- involvement_role, legal_status, care_start_reason, ...
    table_name    text    not null,
    column_name   text    not null,
    match         text    not null check (match in ('code', 'description', 'prefix2', 'map')),
    source_value  text    not null,  -- normalised: trimmed, upper case, runs of white space as one space
    target        text    not null,  -- the DfE code or product role
    is_explicit   boolean not null,  -- an entry of the profile's or the LA's `map` (prefix2 matches these whole)
    refreshed_at  timestamptz not null default now(),
    primary key (la_code, system, concept, source_value)
);
create index la_vocabulary_target on ops.la_vocabulary (la_code, system, concept, target);
comment on table ops.la_vocabulary is 'Per LA and profile: every known source value of each vocabulary and its target (csc.quality.vocabulary).';

-- How vocabulary values are compared (csc.contract.profiles.normalise): trimmed, upper case, white space collapsed.
create function ops.vocabulary_key(value text) returns text
language sql immutable parallel safe as $$
    select nullif(upper(regexp_replace(regexp_replace(value, '^\s+|\s+$', '', 'g'), '\s+', ' ', 'g')), '')
$$;
comment on function ops.vocabulary_key(text) is 'A source value as vocabularies compare it: trimmed, upper case, white space collapsed.';

-- The profile a batch is read with: the one the loader recorded for the batch (ops.extract_batches.source_profile,
-- added by the loader's profile support; read through to_jsonb so that this function does not depend on the order
-- the two migrations land in), else the LA's configured system, else generic.
create function ops.batch_system(p_batch_id bigint) returns text
language sql stable parallel safe as $$
    select coalesce(
        (select s.system from ops.extract_batches b
         join ops.la_source_systems s on s.la_code in (b.la_code, '*')
             and s.system = lower(btrim(to_jsonb(b) ->> 'source_profile'))
         where b.batch_id = p_batch_id
         order by s.la_code = '*' limit 1),
        (select s.system from ops.extract_batches b
         join ops.la_source_systems s on s.la_code = b.la_code and s.is_configured
         where b.batch_id = p_batch_id),
        'generic')
$$;
comment on function ops.batch_system(bigint) is 'The source-system profile a batch is read with (recorded at load, else the LA''s, else generic).';

-- Per batch: its LA's rows of its profile (the '*' rows for an LA not configured).
create view ops.batch_source_systems as
select b.batch_id, b.la_code, s.system, s.allocation_role, s.allocation_flag_column, s.worker_columns
from ops.extract_batches b
cross join lateral (select ops.batch_system(b.batch_id) as system) chosen
join ops.la_source_systems s on s.system = chosen.system
    and s.la_code = case when exists (select 1 from ops.la_source_systems x where x.la_code = b.la_code)
                         then b.la_code else '*' end;
comment on view ops.batch_source_systems is 'Per batch: the profile it is read with, its allocation rule and worker columns.';

create view ops.batch_vocabulary as
select s.batch_id, v.concept, v.table_name, v.column_name, v.match, v.source_value, v.target, v.is_explicit
from ops.batch_source_systems s
join ops.la_vocabulary v
    on v.la_code = case when exists (select 1 from ops.la_source_systems x where x.la_code = s.la_code)
                        then s.la_code else '*' end
    and v.system = s.system;
comment on view ops.batch_vocabulary is 'Per batch: the vocabulary rows of the profile it is read with (ops.batch_source_systems).';

-- The target of a source value of a batch: an exact match (a prefix2 vocabulary: its explicit map entries only),
-- else, for a prefix2 vocabulary, the match of the value's first two characters; NULL when no map knows it.
create function ops.vocabulary_target(p_batch_id bigint, p_concept text, p_value text) returns text
language sql stable parallel safe as $$
    select coalesce(
        (select v.target from ops.batch_vocabulary v
         where v.batch_id = p_batch_id and v.concept = p_concept and v.source_value = ops.vocabulary_key(p_value)
           and (v.match <> 'prefix2' or v.is_explicit)),
        (select v.target from ops.batch_vocabulary v
         where v.batch_id = p_batch_id and v.concept = p_concept and v.match = 'prefix2'
           and v.source_value = ops.vocabulary_key(left(btrim(p_value), 2))))
$$;
comment on function ops.vocabulary_target(bigint, text, text) is 'The DfE code or product role of a batch''s source value (NULL: no map knows it).';
