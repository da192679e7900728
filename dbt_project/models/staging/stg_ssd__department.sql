{#
    One row per team / department record (ssd_department). Rows of each LA's build batch (ops.build_batches)
    only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised,
    child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'department') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ clean_text('source.dept_team_id') }} as team_id,
        {{ clean_text('source.dept_team_parent_id') }} as parent_team_id,

        -- attributes
        {{ clean_text('source.dept_team_name') }} as team_name,
        {{ clean_text('source.dept_team_parent_name') }} as parent_team_name

    from source
)

select * from renamed
