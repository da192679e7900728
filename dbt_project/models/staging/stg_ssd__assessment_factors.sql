{#
    One row per assessment factors record (ssd_assessment_factors), the JSON array of factor codes read into a
    text array. Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with
    or without a time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'assessment_factors') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('assessment_factors', 'source.cinf_table_id') }} as assessment_factors_key,
        {{ clean_text('source.cinf_table_id') }} as assessment_factors_id,
        {{ pseudonymise('assessment', 'source.cinf_assessment_id') }} as assessment_key,

        -- attributes
        {{ json_code_array('source.cinf_assessment_factors_json') }} as factor_codes

    from source
)

select * from renamed
