{#
    One row per disability record (ssd_disability). Rows of each LA's build batch (ops.build_batches) only,
    typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child,
    worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'disability') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('person', 'source.disa_person_id') }} as child_key,
        {{ clean_text('source.disa_table_id') }} as disability_record_id,

        -- attributes
        {{ clean_code('source.disa_disability_code') }} as disability_code

    from source
)

select * from renamed
