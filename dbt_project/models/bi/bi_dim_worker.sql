{#
    One row per worker (pseudonymised professional id) per LA, as BI reads it: team, organisational role, agency,
    case-holding, FTE and in post at the extract date, with time in post and since qualifying as bands of whole
    years. No exact HR date (start, end, qualification), no job title (free text: "Team manager" of a team is one
    person) and no start origin or reason for leaving. Exact values: marts.dim_worker (analyst roles only).
#}
{{ config(alias='dim_worker') }}

with

dim_worker as (
    select * from {{ ref('dim_worker') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

years as (
    select
        dim_worker.*,
        extract(year from age(build_batches.extract_date, dim_worker.role_start_date))::int as years_in_role,
        extract(year from age(build_batches.extract_date, dim_worker.qualification_date))::int as years_qualified
    from dim_worker
    left join build_batches
        on dim_worker.la_code = build_batches.la_code
),

final as (
    select
        la_code,
        worker_key,
        team_id,
        org_role_code,
        full_time_equivalent,
        is_agency_worker,
        is_case_holding_role,
        is_in_hr_extract,
        is_in_post_at_extract_date,
        case
            when years_in_role is null then 'Not known'
            when years_in_role < 1 then 'Under 1 year'
            when years_in_role < 2 then '1 year'
            when years_in_role < 5 then '2-4 years'
            else '5 years or more'
        end as time_in_role_band,
        case
            when years_qualified is null then 'Not known'
            when years_qualified < 2 then 'Under 2 years'
            when years_qualified < 5 then '2-4 years'
            else '5 years or more'
        end as time_qualified_band
    from years
)

select * from final
