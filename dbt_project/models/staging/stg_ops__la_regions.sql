{# Each configured LA's region (config/las.yml `region:`, synced into ops.la_regions by every csc build). #}
with

la_regions as (
    select * from {{ source('ops', 'la_regions') }}
),

renamed as (
    select
        la_code,
        la_name,
        region
    from la_regions
)

select * from renamed
