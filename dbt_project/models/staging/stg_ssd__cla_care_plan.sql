{#
    One row per care plan of a looked-after child (ssd_cla_care_plan): Annex A. Rows of each LA's build batch
    (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed,
    codes normalised, child, worker and record ids pseudonymised. An optional table: empty when the extract does
    not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'cla_care_plan') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('care_plan', 'source.lacp_table_id') }} as care_plan_key,
        {{ clean_text('source.lacp_table_id') }} as care_plan_id,
        {{ pseudonymise('person', 'source.lacp_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.lacp_cla_care_plan_start_date') }} as cla_care_plan_start_date,
        {{ parse_extract_date('source.lacp_cla_care_plan_end_date') }} as cla_care_plan_end_date,

        -- attributes
        {{ clean_text('source.lacp_cla_care_plan_json') }} as cla_care_plan_json

    from source
)

select * from renamed
