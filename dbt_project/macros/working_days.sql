{#
    Working days from date a to date b: the working days d with a < d <= b (INDICATORS.md), from the two dates'
    working-day indices (int_calendar_days): index(b) - index(a), and 0 when b is on or before a. NULL when either
    date is unknown or outside the calendar.
#}
{% macro working_days_between(start_index, end_index) -%}
    case
        when {{ start_index }} is not null and {{ end_index }} is not null
            then greatest({{ end_index }} - {{ start_index }}, 0)
    end
{%- endmacro %}
