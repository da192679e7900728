{#
    One row per assessment factors record (ssd_assessment_factors), the JSON array of factor codes read into a
    text array. Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with
    or without a time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'assessment_factors') }}
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
        {{ pseudonymise('assessment_factors', 'source.cinf_table_id') }} as assessment_factors_key,
        {{ clean_text('source.cinf_table_id') }} as assessment_factors_id,
        {{ pseudonymise('assessment', 'source.cinf_assessment_id') }} as assessment_key,

        -- attributes
        {{ json_code_array('source.cinf_assessment_factors_json') }} as factor_codes

    from source
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
