{# Every extract batch ever received, with its lifecycle status and when it was published (if ever). #}
with

extract_batches as (
    select * from {{ source('ops', 'extract_batches') }}
),

renamed as (
    select
        batch_id,
        la_code,
        extract_date,
        extracted_at,
        published_at,
        status as batch_status,
        source_kind
    from extract_batches
)

select * from renamed
