{#
    ICPC_15WD members: initial child protection conferences held in the period that link to an S47 enquiry and are
    not dated before it, in the numerator when held within 15 working days of the S47 start.
#}
with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

initial_conferences as (
    select * from {{ ref('int_initial_cp_conferences_timed') }}
),

final as (
    select
        reporting_periods.la_code,
        'ICPC_15WD' as indicator_id,
        reporting_periods.period_type,
        reporting_periods.period_start,
        reporting_periods.period_end,
        'initial_cp_conference' as subject_type,
        initial_conferences.initial_cp_conference_key as subject_key,
        initial_conferences.team_id,
        null::text as case_type,
        case when initial_conferences.is_within_15_working_days then 1 else 0 end::numeric as numerator_amount,
        1::numeric as denominator_amount
    from initial_conferences
    {{ event_periods('initial_conferences.conference_date') }}
    inner join reporting_periods
        on initial_conferences.la_code = reporting_periods.la_code
        and event_period.period_type = reporting_periods.period_type
        and event_period.period_start = reporting_periods.period_start
    where reporting_periods.period_type != 'day'
        and initial_conferences.has_linked_s47
        and not initial_conferences.is_dated_before_s47
)

select * from final
