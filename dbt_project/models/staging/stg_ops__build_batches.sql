{#
    The batch being built for each LA, with its extract date: the root of every LA's reporting periods. Also how
    the batch is read: its source-system profile (ops.batch_source_systems: recorded at load, else the LA's
    config/las.yml `system:`, else generic), the profile's allocation rule (the role that means "allocated case
    worker" and the source flag that must confirm it, with whether the batch's involvements carry that flag), and
    whether the batch has an HR extract (hr_workers, hr_establishment: rows in the batch), and its kind of source (an
    SSD extract, or an LA's imported statutory returns).
#}
with

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

extract_batches as (
    select * from {{ source('ops', 'extract_batches') }}
),

source_systems as (
    select * from {{ source('ops', 'batch_source_systems') }}
),

involvements as (
    select * from {{ source('ssd', 'involvements') }}
),

hr_workers as (
    select * from {{ source('hr', 'workers') }}
),

hr_establishment as (
    select * from {{ source('hr', 'establishment') }}
),

renamed as (
    select
        build_batches.la_code,
        build_batches.batch_id,
        build_batches.extract_date,
        extract_batches.extracted_at,
        extract_batches.source_system,
        extract_batches.ssd_version,
        extract_batches.source_kind,
        build_batches.status as batch_status,
        coalesce(source_systems.system, 'generic') as system_profile,
        coalesce(source_systems.allocation_role, 'allocated_case_worker') as allocation_role,
        source_systems.allocation_flag_column,
        coalesce(source_systems.allocation_flag_column is not null and exists (
            select 1 from involvements
            where involvements._batch_id = build_batches.batch_id
                and involvements._extra ? source_systems.allocation_flag_column
        ), false) as has_allocation_flag,
        exists (
            select 1 from hr_workers where hr_workers._batch_id = build_batches.batch_id
        ) as has_hr_workers,
        exists (
            select 1 from hr_establishment where hr_establishment._batch_id = build_batches.batch_id
        ) as has_hr_establishment
    from build_batches
    inner join extract_batches on build_batches.batch_id = extract_batches.batch_id
    left join source_systems on build_batches.batch_id = source_systems.batch_id
),

final as (
    select
        *,
        -- SystemC: the role alone, without its confirming flag, is necessary but not sufficient
        allocation_flag_column is not null and not has_allocation_flag as is_allocation_approximated
    from renamed
)

select * from final
