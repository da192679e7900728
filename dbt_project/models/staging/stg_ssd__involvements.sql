{#
    One row per involvement record (ssd_involvements): a worker assigned to a child in a role. The role is mapped
    to the product's roles through the involvement_role vocabulary of the batch's source-system profile
    (map_vocabulary; compared trimmed and case-insensitively), and the involvement is the allocated case worker
    when its role maps to the profile's allocation role and, where the batch carries the profile's confirming
    flag (SystemC is_allocated_cw_flag, an extra column kept in _extra), that flag is Y. An involvement with no
    professional (held by a team) keeps a blank worker_key: no worker holds the case. Rows of each LA's build batch
    (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed,
    codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'involvements') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
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
        {{ map_vocabulary('involvement_role', 'source.invo_professional_role_id') }} as product_role,
        {{ clean_code('source.invo_worker_change_reason') }} as worker_change_reason_code,
        case when build_batches.has_allocation_flag
            then {{ parse_flag("source._extra ->> build_batches.allocation_flag_column") }}
        end as allocation_flag,

        -- flags
        coalesce(
            {{ map_vocabulary('involvement_role', 'source.invo_professional_role_id') }}
                = build_batches.allocation_role
            and (not build_batches.has_allocation_flag
                 or {{ parse_flag("source._extra ->> build_batches.allocation_flag_column") }}),
            false
        ) as is_allocated_case_worker

    from source
    left join build_batches on source.batch_id = build_batches.batch_id
)

select * from renamed
