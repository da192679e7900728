{#
    Per LA, every date at which stock indicators are counted: the end of each reporting period (quarter and
    financial-year ends are month ends too) and the extract date. Stocks are computed once per date here and
    shared by every period that ends on it.
#}
with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

calendar as (
    select * from {{ ref('int_calendar_days') }}
),

as_at_dates as (
    select distinct
        la_code,
        period_end as as_at_date
    from reporting_periods
),

final as (
    select
        as_at_dates.la_code,
        as_at_dates.as_at_date,
        calendar.working_day_index
    from as_at_dates
    left join calendar on as_at_dates.as_at_date = calendar.date_day
)

select * from final
