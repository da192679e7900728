{#
    One row per looked-after episode record (ssd_cla_episodes); episodes sharing a CLA id form a period of care.
    Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a
    time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'cla_episodes') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('cla_episode', 'source.clae_cla_episode_id') }} as cla_episode_key,
        {{ clean_text('source.clae_cla_episode_id') }} as cla_episode_id,
        {{ pseudonymise('person', 'source.clae_person_id') }} as child_key,
        {{ pseudonymise('period_of_care', 'source.clae_cla_id') }} as period_of_care_key,
        {{ pseudonymise('referral', 'source.clae_referral_id') }} as referral_key,
        {{ pseudonymise('placement', 'source.clae_cla_placement_id') }} as placement_key,

        -- dates
        {{ parse_extract_date('source.clae_cla_episode_start_date') }} as episode_start_date,
        {{ parse_extract_date('source.clae_cla_episode_ceased_date') }} as episode_ceased_date,
        {{ parse_extract_date('source.clae_entered_care_date') }} as entered_care_date,
        {{ parse_extract_date('source.clae_cla_last_iro_contact_date') }} as last_iro_contact_date,

        -- attributes
        coalesce(
            {{ map_vocabulary('care_start_reason', 'source.clae_cla_episode_start_reason') }},
            {{ clean_code('source.clae_cla_episode_start_reason') }}
        ) as reason_for_new_episode_code,
        {{ clean_code('source.clae_cla_primary_need_code') }} as primary_need_code,
        coalesce(
            {{ map_vocabulary('care_ceased_reason', 'source.clae_cla_episode_ceased_reason') }},
            {{ clean_code('source.clae_cla_episode_ceased_reason') }}
        ) as reason_episode_ceased_code

    from source
)

select * from renamed
