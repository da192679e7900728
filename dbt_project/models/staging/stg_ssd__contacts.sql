{#
    One row per contact record (ssd_contacts), with the contact outcome JSON unpacked into flags. Rows of each
    LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N
    flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as materialized (
    {{ staging_source('ssd', 'contacts', outcome_json='source.cont_contact_outcome_json') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('contact', 'source.cont_contact_id') }} as contact_key,
        {{ clean_text('source.cont_contact_id') }} as contact_id,
        {{ pseudonymise('person', 'source.cont_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.cont_contact_date') }} as contact_date,

        -- attributes
        {{ clean_code('source.cont_contact_source_code') }} as contact_source_code,
        {{ clean_text('source.cont_contact_source_desc') }} as contact_source_description,

        -- flags (contact outcome JSON)
        {{ json_outcome_flags('source.outcome', [
            'NEW_REFERRAL_FLAG', 'EXISTING_REFERRAL_FLAG', 'CP_ENQUIRY_FLAG', 'NFA_FLAG',
            'NON_AGENCY_ADOPTION_FLAG', 'PRIVATE_FOSTERING_FLAG', 'ADVICE_FLAG', 'MISSING_FLAG',
            'OLA_CP_FLAG', 'OTHER_OUTCOMES_EXIST_FLAG']) }}

    from source
)

select * from renamed
