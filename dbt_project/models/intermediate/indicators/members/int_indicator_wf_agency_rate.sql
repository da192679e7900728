{#
    WF_AGENCY_RATE members: every worker role in post on the date adds its FTE to the denominator (agency FTE +
    LA-employed FTE); agency workers' FTE is also the numerator.
#}
with

workers as (
    select * from {{ ref('int_workers_as_at') }}
),

final as (
    select
        la_code,
        'WF_AGENCY_RATE' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'worker' as subject_type,
        worker_key as subject_key,
        team_id,
        null::text as case_type,
        case when is_agency_worker then full_time_equivalent else 0 end as numerator_amount,
        full_time_equivalent as denominator_amount
    from workers
)

select * from final
