{#
    The calendar: one row per day 2010-2035 with working-day flags (England and Wales bank holidays), the running
    working-day index (working days from a to b = index(b) - index(a)), month, financial-year quarter and year.
#}
with

calendar as (
    select * from {{ ref('int_calendar_days') }}
),

final as (
    select * from calendar
)

select * from final
