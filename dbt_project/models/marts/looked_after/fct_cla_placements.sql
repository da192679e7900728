{# One row per placement record of a child looked after (no postcode or provider URN: they can locate a child). #}
with

placements as (
    select * from {{ ref('stg_ssd__cla_placement') }}
),

final as (
    select
        la_code,
        placement_key,
        period_of_care_key,
        child_key,
        placement_start_date,
        placement_end_date,
        placement_end_date - placement_start_date as placement_days,
        placement_type_code,
        placement_provider_code,
        placement_distance_miles,
        placement_change_reason_code
    from placements
)

select * from final
