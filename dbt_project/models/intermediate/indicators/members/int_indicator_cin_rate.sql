{#
    CIN_RATE members: children with an open referral/CIN episode at the date (referral on or before it, closure blank or after it). The denominator, population aged 0-17 / 10,000, is added in indicator_values.
#}
with

open_cases as (
    select * from {{ ref('int_open_cases_as_at') }}
),

final as (
    select
        la_code,
        'CIN_RATE' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'child' as subject_type,
        child_key as subject_key,
        team_id,
        'CIN' as case_type,
        1::numeric as numerator_amount,
        null::numeric as denominator_amount
    from open_cases
    where has_open_cin_episode
)

select * from final
