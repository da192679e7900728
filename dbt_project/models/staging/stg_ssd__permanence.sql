{#
    One row per permanence record of a period of care (ssd_permanence): SSDA903 AD1 and placed for adoption,
    Annex A. Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or
    without a time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised. An
    optional table: empty when the extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'permanence') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('permanence', 'source.perm_table_id') }} as permanence_key,
        {{ clean_text('source.perm_table_id') }} as permanence_id,
        {{ pseudonymise('person', 'source.perm_person_id') }} as child_key,
        {{ clean_text('source.perm_cla_id') }} as cla_id,
        {{ pseudonymise('worker', matched_worker_id('ssd_permanence.perm_adoption_worker_id', 'source.perm_adoption_worker_id')) }} as worker_key,

        -- dates
        {{ parse_extract_date('source.perm_adm_decision_date') }} as adm_decision_date,
        {{ parse_extract_date('source.perm_ffa_cp_decision_date') }} as ffa_cp_decision_date,
        {{ parse_extract_date('source.perm_placement_order_date') }} as placement_order_date,
        {{ parse_extract_date('source.perm_matched_date') }} as matched_date,
        {{ parse_extract_date('source.perm_placed_for_adoption_date') }} as placed_for_adoption_date,
        {{ parse_extract_date('source.perm_placed_foster_carer_date') }} as placed_foster_carer_date,
        {{ parse_extract_date('source.perm_placed_ffa_cp_date') }} as placed_ffa_cp_date,
        {{ parse_extract_date('source.perm_decision_reversed_date') }} as decision_reversed_date,
        {{ parse_extract_date('source.perm_permanence_order_date') }} as permanence_order_date,

        -- attributes
        {{ parse_integer('source.perm_siblings_placed_together') }} as siblings_placed_together,
        {{ parse_integer('source.perm_siblings_placed_apart') }} as siblings_placed_apart,
        {{ clean_code('source.perm_adopter_sex') }} as adopter_sex,
        {{ clean_code('source.perm_adopter_legal_status') }} as adopter_legal_status,
        {{ parse_integer('source.perm_number_of_adopters') }} as number_of_adopters,
        {{ clean_code('source.perm_placement_provider_urn') }} as placement_provider_urn,
        {{ clean_code('source.perm_decision_reversed_reason') }} as decision_reversed_reason,
        {{ clean_text('source.perm_permanence_order_type') }} as permanence_order_type,

        -- flags
        {{ parse_flag('source.perm_part_of_sibling_group') }} as part_of_sibling_group,
        {{ parse_flag('source.perm_adopted_by_carer_flag') }} as adopted_by_carer_flag

    from source
)

select * from renamed
