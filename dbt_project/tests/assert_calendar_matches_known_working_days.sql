-- Facts about the England and Wales calendar that int_calendar_days must reproduce from the bank-holiday seed:
-- 2024 has 254 working days (262 weekdays less 8 bank holidays); Thursday 28 March to Tuesday 2 April 2024 is one
-- working day (Good Friday, the weekend and Easter Monday between); the State Funeral (19 September 2022) and the
-- Coronation (8 May 2023) bank holidays are not working days; financial year and quarter labels.
with

calendar as (
    select * from {{ ref('int_calendar_days') }}
),

checks as (
    select 'working days in 2024' as fact,
        (select count(*) from calendar where extract(year from date_day) = 2024 and is_working_day)::text as actual,
        '254' as expected
    union all
    select 'working days from 2024-03-28 to 2024-04-02',
        ((select working_day_index from calendar where date_day = '2024-04-02')
            - (select working_day_index from calendar where date_day = '2024-03-28'))::text,
        '1'
    union all
    select 'state funeral 2022-09-19 is a working day',
        (select is_working_day from calendar where date_day = '2022-09-19')::text, 'false'
    union all
    select 'coronation 2023-05-08 is a working day',
        (select is_working_day from calendar where date_day = '2023-05-08')::text, 'false'
    union all
    select 'financial year and quarter of 2025-03-31',
        (select financial_year || ' Q' || financial_quarter from calendar where date_day = '2025-03-31'), '2024-25 Q4'
    union all
    select 'financial year and quarter of 2025-04-01',
        (select financial_year || ' Q' || financial_quarter from calendar where date_day = '2025-04-01'), '2025-26 Q1'
    union all
    select 'calendar covers 1950 to 2099',
        (select min(date_day) || '/' || max(date_day) from calendar), '1950-01-01/2099-12-31'
    union all
    select 'working days in 2005 (no bank holidays before 2010: weekdays only)',
        (select count(*) from calendar where extract(year from date_day) = 2005 and is_working_day)::text, '260'
)

select * from checks where actual is distinct from expected
