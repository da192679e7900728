{{ config(indexes=[{'columns': ['batch_id', 'worker_column', 'source_key']}]) }}
{#
    Per build batch: for each worker column its source-system profile says holds a worker's name or staff id
    instead of a professional id (profile worker_columns, e.g. SystemC's cine_referral_worker_id holds the name),
    every name or staff id of ssd_professionals (trimmed, upper case, white space collapsed) that names exactly one
    professional, with that professional's id. Read by the macro matched_worker_id; ambiguous names match nobody.
    The data-quality rule REF_WORKER_COLUMNS_MATCHED counts what matched and what did not.
#}
with

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

source_systems as (
    select * from {{ source('ops', 'batch_source_systems') }}
),

source_professionals as (
    select * from {{ source('ssd', 'professionals') }}
),

professionals as (
    select
        professionals._batch_id as batch_id,
        nullif(btrim(professionals.prof_professional_id), '') as professional_id,
        ops.vocabulary_key(professionals.prof_professional_name) as name_key,
        ops.vocabulary_key(professionals.prof_staff_id) as staff_id_key
    from source_professionals as professionals
    inner join build_batches on professionals._batch_id = build_batches.batch_id
),

worker_columns as (
    select
        source_systems.batch_id,
        worker_column.key as worker_column,
        worker_column.value as kind
    from source_systems
    inner join build_batches on source_systems.batch_id = build_batches.batch_id
    cross join lateral jsonb_each_text(source_systems.worker_columns) as worker_column
),

candidates as (
    select
        worker_columns.batch_id,
        worker_columns.worker_column,
        case worker_columns.kind when 'name' then professionals.name_key else professionals.staff_id_key end
            as source_key,
        professionals.professional_id
    from worker_columns
    inner join professionals on worker_columns.batch_id = professionals.batch_id
    where professionals.professional_id is not null
),

final as (
    select
        batch_id,
        worker_column,
        source_key,
        min(professional_id) as professional_id
    from candidates
    where source_key is not null
    group by batch_id, worker_column, source_key
    having count(distinct professional_id) = 1
)

select * from final
