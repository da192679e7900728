{#
    UNALLOCATED_DAYS_MEDIAN members: unallocated children at the date, each with the days since the later of the end of their last valid allocation and the day their case opened; indicator_values takes the median.
#}
with

open_cases as (
    select * from {{ ref('int_open_cases_as_at') }}
),

final as (
    select
        la_code,
        'UNALLOCATED_DAYS_MEDIAN' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'child' as subject_type,
        child_key as subject_key,
        team_id,
        case_type as case_type,
        days_unallocated::numeric as numerator_amount,
        null::numeric as denominator_amount
    from open_cases
    where not is_allocated
)

select * from final
