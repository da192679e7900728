{#
    One row per person record (ssd_person): the child's pseudonymised key beside the identifying columns (name,
    date of birth, NHS number) that only staging and casework may hold; sex with legacy codes 1/2 read as M/F.
    Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a
    time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'person') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('person', 'source.pers_person_id') }} as child_key,
        {{ clean_text('source.pers_person_id') }} as person_id,
        {{ clean_text('source.pers_single_unique_id') }} as nhs_number,
        {{ clean_text('source.pers_legacy_id') }} as legacy_person_id,

        -- dates
        {{ parse_extract_date('source.pers_dob') }} as date_of_birth,
        {{ parse_extract_date('source.pers_expected_dob') }} as expected_date_of_birth,
        {{ parse_extract_date('source.pers_death_date') }} as date_of_death,

        -- attributes
        {{ clean_text('source.pers_forename') }} as forename,
        {{ clean_text('source.pers_surname') }} as surname,
        {{ normalise_sex('source.pers_sex') }} as sex,
        {{ clean_text('source.pers_gender') }} as gender,
        {{ clean_code('source.pers_ethnicity') }} as ethnicity,
        {{ clean_code('source.pers_upn') }} as upn,
        {{ clean_code('source.pers_upn_unknown') }} as upn_unknown_reason,
        {{ clean_text('source.pers_nationality') }} as nationality,

        -- flags
        {{ parse_flag('source.pers_send_flag') }} as has_send,
        {{ parse_flag('source.pers_is_mother') }} as is_mother

    from source
)

select * from renamed
