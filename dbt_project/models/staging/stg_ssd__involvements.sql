{#
    One row per involvement record (ssd_involvements): a worker assigned to a child in a role; the role is
    compared case-insensitively after trimming to flag allocated case workers. Rows of each LA's build batch
    (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed,
    codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'involvements') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('involvement', 'source.invo_involvements_id') }} as involvement_key,
        {{ clean_text('source.invo_involvements_id') }} as involvement_id,
        {{ pseudonymise('worker', 'source.invo_professional_id') }} as worker_key,
        {{ pseudonymise('person', 'source.invo_person_id') }} as child_key,
        {{ pseudonymise('referral', 'source.invo_referral_id') }} as referral_key,
        {{ clean_text('source.invo_professional_team') }} as team_id,

        -- dates
        {{ parse_extract_date('source.invo_involvement_start_date') }} as involvement_start_date,
        {{ parse_extract_date('source.invo_involvement_end_date') }} as involvement_end_date,

        -- attributes
        {{ clean_code('source.invo_professional_role_id') }} as worker_role,
        {{ clean_code('source.invo_worker_change_reason') }} as worker_change_reason_code,

        -- flags
        coalesce(
            {{ clean_code('source.invo_professional_role_id') }} = upper('{{ var("allocated_worker_role") }}'),
            false
        ) as is_allocated_case_worker

    from source
)

select * from renamed
