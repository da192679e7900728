{#
    One row per strengths and difficulties questionnaire (ssd_sdq_scores): SSDA903 OC2. Rows of each LA's build
    batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags),
    trimmed, codes normalised, child, worker and record ids pseudonymised. An optional table: empty when the
    extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'sdq_scores') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('sdq_score', 'source.csdq_table_id') }} as sdq_score_key,
        {{ clean_text('source.csdq_table_id') }} as sdq_score_id,
        {{ pseudonymise('person', 'source.csdq_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.csdq_sdq_completed_date') }} as sdq_completed_date,

        -- attributes
        {{ parse_integer('source.csdq_sdq_score') }} as sdq_score,
        {{ clean_code('source.csdq_sdq_reason') }} as sdq_reason

    from source
)

select * from renamed
