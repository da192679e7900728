{#
    One row per disability record (ssd_disability). Rows of each LA's build batch (ops.build_batches) only,
    typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child,
    worker and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'disability') }}
),

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

renamed as (
    select
        -- lineage
        build_batches.la_code,
        build_batches.batch_id,
        build_batches.extract_date,
        source._line_no as source_line_no,

        -- ids
        {{ pseudonymise('person', 'source.disa_person_id') }} as child_key,
        {{ clean_text('source.disa_table_id') }} as disability_record_id,

        -- attributes
        {{ clean_code('source.disa_disability_code') }} as disability_code

    from source
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
