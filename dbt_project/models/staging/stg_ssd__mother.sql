{#
    One row per child born to a mother of the extract (ssd_mother): the SSDA903 header MOTHER and MC_DOB. Rows
    of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a
    time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised. An optional table:
    empty when the extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'mother') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('mother_record', 'source.moth_table_id') }} as mother_record_key,
        {{ clean_text('source.moth_table_id') }} as mother_record_id,
        {{ pseudonymise('person', 'source.moth_person_id') }} as child_key,
        {{ pseudonymise('person', 'source.moth_childs_person_id') }} as baby_key,

        -- dates
        {{ parse_extract_date('source.moth_childs_dob') }} as childs_dob

    from source
)

select * from renamed
