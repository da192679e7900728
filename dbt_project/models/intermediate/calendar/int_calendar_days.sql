{#
    One row per day from 1950 to 2099, with working-day flags, a running working-day index (durations in working
    days are differences of two indices, so they cost O(1)), and the month, financial-year quarter and financial
    year the day falls in. Bank holidays come from the seed (2010-2035); outside those years only weekends are
    non-working days, so durations from long-ago starts (a period of care begun in 2005) are still defined.
#}
with

bank_holidays as (
    select * from {{ ref('bank_holidays') }}
),

days as (
    select generate_series('1950-01-01'::date, '2099-12-31'::date, interval '1 day')::date as date_day
),

holidays_by_day as (
    select
        "date" as holiday_date,
        string_agg(name, '; ' order by name) as holiday_name
    from bank_holidays
    group by "date"
),

flagged as (
    select
        days.date_day,
        holidays_by_day.holiday_name,
        extract(isodow from days.date_day) in (6, 7) as is_weekend,
        holidays_by_day.holiday_date is not null as is_bank_holiday
    from days
    left join holidays_by_day on days.date_day = holidays_by_day.holiday_date
),

final as (
    select
        date_day,
        date_trunc('month', date_day)::date as month_start,
        (date_trunc('month', date_day) + interval '1 month' - interval '1 day')::date as month_end,
        date_trunc('quarter', date_day)::date as quarter_start,
        (date_trunc('quarter', date_day) + interval '3 months' - interval '1 day')::date as quarter_end,
        make_date(
            extract(year from date_day)::int - case when extract(month from date_day) < 4 then 1 else 0 end, 4, 1
        ) as financial_year_start,
        make_date(
            extract(year from date_day)::int + case when extract(month from date_day) < 4 then 0 else 1 end, 3, 31
        ) as financial_year_end,
        (extract(year from date_day)::int - case when extract(month from date_day) < 4 then 1 else 0 end)::text
            || '-' || lpad(((extract(year from date_day)::int
            + case when extract(month from date_day) < 4 then 0 else 1 end) % 100)::text, 2, '0')
            as financial_year,
        (((extract(month from date_day)::int + 8) % 12) / 3 + 1) as financial_quarter,
        extract(isodow from date_day)::int as iso_day_of_week,
        holiday_name,
        is_weekend,
        is_bank_holiday,
        not is_weekend and not is_bank_holiday as is_working_day,
        sum(case when not is_weekend and not is_bank_holiday then 1 else 0 end)
            over (order by date_day rows between unbounded preceding and current row)::int as working_day_index
    from flagged
)

select * from final
