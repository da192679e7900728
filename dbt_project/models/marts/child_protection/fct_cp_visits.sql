{# One row per child protection visit record. #}
with

cp_visits as (
    select * from {{ ref('stg_ssd__cp_visits') }}
),

final as (
    select
        la_code,
        cp_visit_key,
        child_key,
        cp_plan_key,
        visit_date,
        is_child_seen,
        is_child_seen_alone,
        is_bedroom_seen
    from cp_visits
)

select * from final
