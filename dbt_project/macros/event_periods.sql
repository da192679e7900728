{#
    The three reporting periods an event falls in, as rows (period_type, period_start): its month, its financial-year
    quarter and its financial year. Flow indicators join these to int_reporting_periods on equality, so each event
    finds its periods through a hash join instead of being compared with every period.
#}
{% macro event_periods(event_date) -%}
    cross join lateral (
        values
            ('month', date_trunc('month', {{ event_date }})::date),
            ('quarter', date_trunc('quarter', {{ event_date }})::date),
            ('financial_year', make_date(
                extract(year from {{ event_date }})::int
                    - case when extract(month from {{ event_date }}) < 4 then 1 else 0 end,
                4, 1))
    ) as event_period (period_type, period_start)
{%- endmacro %}
