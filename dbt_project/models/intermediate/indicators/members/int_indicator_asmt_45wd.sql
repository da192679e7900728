{#
    ASMT_45WD members: assessments authorised in the period that have a start date (without one the duration is
    unknown), in the numerator when authorised within 45 working days of the start (see int_assessments_timed;
    one authorised before it started took 0 working days).
#}
with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

assessments as (
    select * from {{ ref('int_assessments_timed') }}
),

final as (
    select
        reporting_periods.la_code,
        'ASMT_45WD' as indicator_id,
        reporting_periods.period_type,
        reporting_periods.period_start,
        reporting_periods.period_end,
        'assessment' as subject_type,
        assessments.assessment_key as subject_key,
        assessments.team_id,
        null::text as case_type,
        case when assessments.is_authorised_within_45_working_days then 1 else 0 end::numeric as numerator_amount,
        1::numeric as denominator_amount
    from assessments
    {{ event_periods('assessments.assessment_authorised_date') }}
    inner join reporting_periods
        on assessments.la_code = reporting_periods.la_code
        and event_period.period_type = reporting_periods.period_type
        and event_period.period_start = reporting_periods.period_start
    where reporting_periods.period_type != 'day'
        and assessments.assessment_start_date is not null
)

select * from final
