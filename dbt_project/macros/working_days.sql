{#
    Working days from date a to date b: the working days d with a < d <= b (INDICATORS.md), from the two dates'
    working-day indices (int_calendar_days): index(b) - index(a), and 0 when b is on or before a. NULL when either
    date is unknown or outside the calendar. The rule is the SQL function ops.working_days_between
    (include/csc/warehouse/rules.sql), which the checks' ops.dq_working_days calls too.
#}
{% macro working_days_between(start_index, end_index) -%}
    ops.working_days_between({{ start_index }}, {{ end_index }})
{%- endmacro %}
