{#
    S47_RATE members: section 47 enquiries started in the period. The denominator, population aged 0-17 / 10,000,
    is added in indicator_values.
#}
with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

s47_enquiries as (
    select * from {{ ref('int_s47_enquiries_linked') }}
),

final as (
    select
        reporting_periods.la_code,
        'S47_RATE' as indicator_id,
        reporting_periods.period_type,
        reporting_periods.period_start,
        reporting_periods.period_end,
        's47_enquiry' as subject_type,
        s47_enquiries.s47_enquiry_key as subject_key,
        s47_enquiries.team_id,
        null::text as case_type,
        1::numeric as numerator_amount,
        null::numeric as denominator_amount
    from s47_enquiries
    {{ event_periods('s47_enquiries.s47_start_date') }}
    inner join reporting_periods
        on s47_enquiries.la_code = reporting_periods.la_code
        and event_period.period_type = reporting_periods.period_type
        and event_period.period_start = reporting_periods.period_start
    where reporting_periods.period_type != 'day'
)

select * from final
