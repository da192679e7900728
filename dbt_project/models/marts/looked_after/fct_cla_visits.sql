{# One row per visit record to a child looked after. #}
with

cla_visits as (
    select * from {{ ref('stg_ssd__cla_visits') }}
),

final as (
    select
        la_code,
        cla_visit_key,
        period_of_care_key,
        child_key,
        visit_date,
        is_child_seen,
        is_child_seen_alone
    from cla_visits
)

select * from final
