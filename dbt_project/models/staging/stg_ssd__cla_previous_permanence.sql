{#
    One row per permanence arrangement before care (ssd_cla_previous_permanence): SSDA903 previous permanence.
    Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a
    time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised. An optional table:
    empty when the extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'cla_previous_permanence') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('previous_permanence', 'source.lapp_table_id') }} as previous_permanence_key,
        {{ clean_text('source.lapp_table_id') }} as previous_permanence_id,
        {{ pseudonymise('person', 'source.lapp_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.lapp_previous_permanence_order_date') }} as previous_permanence_order_on,

        -- attributes
        {{ clean_text('source.lapp_previous_permanence_option') }} as previous_permanence_option,
        {{ clean_text('source.lapp_previous_permanence_la') }} as previous_permanence_la,
        {{ clean_text('source.lapp_previous_permanence_order_date') }} as previous_permanence_order_date

    from source
)

select * from renamed
