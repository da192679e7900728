{#
    One row per team / department record (ssd_department). Rows of each LA's build batch (ops.build_batches)
    only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised,
    child, worker and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'department') }}
),

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

renamed as (
    select
        -- lineage
        build_batches.la_code,
        build_batches.batch_id,
        build_batches.extract_date,
        source._line_no as source_line_no,

        -- ids
        {{ clean_text('source.dept_team_id') }} as team_id,
        {{ clean_text('source.dept_team_parent_id') }} as parent_team_id,

        -- attributes
        {{ clean_text('source.dept_team_name') }} as team_name,
        {{ clean_text('source.dept_team_parent_name') }} as parent_team_name

    from source
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
