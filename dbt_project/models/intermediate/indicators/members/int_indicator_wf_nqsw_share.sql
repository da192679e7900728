{#
    WF_NQSW_SHARE members: every worker role in post on the date counts once in the denominator, and in the
    numerator when the worker qualified less than two years before the date.
#}
with

workers as (
    select * from {{ ref('int_workers_as_at') }}
),

final as (
    select
        la_code,
        'WF_NQSW_SHARE' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'worker' as subject_type,
        worker_key as subject_key,
        team_id,
        null::text as case_type,
        case when is_newly_qualified then 1 else 0 end::numeric as numerator_amount,
        1::numeric as denominator_amount
    from workers
)

select * from final
