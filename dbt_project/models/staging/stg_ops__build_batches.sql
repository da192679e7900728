{# The batch being built for each LA, with its extract date: the root of every LA's reporting periods. #}
with

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

extract_batches as (
    select * from {{ source('ops', 'extract_batches') }}
),

renamed as (
    select
        build_batches.la_code,
        build_batches.batch_id,
        build_batches.extract_date,
        extract_batches.extracted_at,
        extract_batches.source_system,
        extract_batches.ssd_version,
        build_batches.status as batch_status
    from build_batches
    inner join extract_batches on build_batches.batch_id = extract_batches.batch_id
)

select * from renamed
