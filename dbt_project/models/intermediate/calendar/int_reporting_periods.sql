{#
    Per LA, every reporting period of its build batch: each month, financial-year quarter (Q1 = April-June) and
    financial year that has ended by the extract date and started within the history an extract keeps (var
    history_years: from the day after the same date six years before the extract date), plus the extract date
    itself (period_type 'day', for the stock indicators' daily history).
#}
with

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

calendar as (
    select * from {{ ref('int_calendar_days') }}
),

calendar_periods as (
    select distinct 'month' as period_type, month_start as period_start, month_end as period_end,
        to_char(month_start, 'YYYY-MM') as period_label
    from calendar
    union all
    select distinct 'quarter', quarter_start, quarter_end, financial_year || ' Q' || financial_quarter
    from calendar
    union all
    select distinct 'financial_year', financial_year_start, financial_year_end, financial_year
    from calendar
),

periods_in_history as (
    select
        build_batches.la_code,
        build_batches.batch_id,
        build_batches.extract_date,
        calendar_periods.period_type,
        calendar_periods.period_start,
        calendar_periods.period_end,
        calendar_periods.period_label
    from build_batches
    inner join calendar_periods
        on calendar_periods.period_end <= build_batches.extract_date
        and calendar_periods.period_start
            > (build_batches.extract_date - interval '{{ var("history_years") }} years')::date
),

extract_days as (
    select
        la_code,
        batch_id,
        extract_date,
        'day' as period_type,
        extract_date as period_start,
        extract_date as period_end,
        to_char(extract_date, 'YYYY-MM-DD') as period_label
    from build_batches
),

final as (
    select * from periods_in_history
    union all
    select * from extract_days
)

select * from final
