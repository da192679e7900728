{#
    One row per contact record (ssd_contacts), with the contact outcome JSON unpacked into flags. Rows of each
    LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N
    flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'contacts') }}
),

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

outcomes_parsed as materialized (
    select
        source.*,
        {{ parse_outcome_json('source.cont_contact_outcome_json') }} as outcome
    from source
),

renamed as (
    select
        -- lineage
        build_batches.la_code,
        build_batches.batch_id,
        build_batches.extract_date,
        source._line_no as source_line_no,

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
        {%- for flag in ['NEW_REFERRAL_FLAG', 'EXISTING_REFERRAL_FLAG', 'CP_ENQUIRY_FLAG', 'NFA_FLAG',
                         'NON_AGENCY_ADOPTION_FLAG', 'PRIVATE_FOSTERING_FLAG', 'ADVICE_FLAG', 'MISSING_FLAG',
                         'OLA_CP_FLAG', 'OTHER_OUTCOMES_EXIST_FLAG'] %}
        {{ json_outcome_flag('source.outcome', flag) }} as outcome_{{ flag | lower | replace('_flag', '') }}{{ ',' if not loop.last }}
        {%- endfor %}

    from outcomes_parsed as source
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
