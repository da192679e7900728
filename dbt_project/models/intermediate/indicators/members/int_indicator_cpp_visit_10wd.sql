{#
    CPP_VISIT_10WD members: children on a CP plan at the date, in the numerator when seen on a CP visit within the
    last 10 working days (var cp_visit_working_days) up to and including the date, or when their plan started
    within them (see int_cp_children_as_at).
#}
with

cp_children as (
    select * from {{ ref('int_cp_children_as_at') }}
),

final as (
    select
        la_code,
        'CPP_VISIT_10WD' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'child' as subject_type,
        child_key as subject_key,
        null::text as team_id,
        'CP' as case_type,
        case when is_seen_within_visit_standard then 1 else 0 end::numeric as numerator_amount,
        1::numeric as denominator_amount
    from cp_children
)

select * from final
