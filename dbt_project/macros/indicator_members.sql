{#
    The columns of one indicator member row, in the order int_indicator_values_computed unions the members:
    la_code, indicator_id, period_type, period_start, period_end, subject_type, subject_key, team_id, case_type,
    numerator_amount, denominator_amount.
    - indicator_id and subject_type are names; the other arguments are SQL expressions, the amounts typed numeric
      by the caller (denominator null unless given).
    - numerator_when, a condition, gives the usual share member: numerator 1 when it holds (else 0), denominator 1.
    - A member counts either at a date, as_at (period_type 'as_at', the period starting and ending on that date,
      la_code from the la_code expression), or in a reporting period, periods: the relation whose la_code and
      period the row takes (int_reporting_periods joined with join_event_reporting_periods).
#}
{% macro indicator_member_columns(indicator_id, subject_type, subject_key, numerator=none, denominator=none,
                                  numerator_when=none, team_id='null::text', case_type='null::text', as_at=none,
                                  periods=none, la_code='la_code') -%}
    {%- if numerator_when is not none -%}
        {%- set numerator = 'case when ' ~ numerator_when ~ ' then 1 else 0 end::numeric' -%}
        {%- set denominator = '1::numeric' if denominator is none else denominator -%}
    {%- endif -%}
    {%- if (as_at is none) == (periods is none) -%}
        {{ exceptions.raise_compiler_error("indicator_member_columns(" ~ indicator_id ~ "): give as_at or periods") }}
    {%- endif -%}
    {%- if as_at is not none -%}
        {{ la_code }} as la_code,
        '{{ indicator_id }}' as indicator_id,
        'as_at' as period_type,
        {{ as_at }} as period_start,
        {{ as_at }} as period_end,
    {%- else -%}
        {{ periods }}.la_code,
        '{{ indicator_id }}' as indicator_id,
        {{ periods }}.period_type,
        {{ periods }}.period_start,
        {{ periods }}.period_end,
    {%- endif %}
        '{{ subject_type }}' as subject_type,
        {{ subject_key }} as subject_key,
        {{ team_id }} as team_id,
        {{ case_type }} as case_type,
        {{ numerator }} as numerator_amount,
        {{ 'null::numeric' if denominator is none else denominator }} as denominator_amount
{%- endmacro %}


{#
    Joins events (a relation with la_code) to the reporting periods their event_date falls in: its month, quarter
    and financial year (event_periods), each found in int_reporting_periods (imported as periods) by equality.
#}
{% macro join_event_reporting_periods(events, event_date, periods='reporting_periods') -%}
    {{ event_periods(event_date) }}
    inner join {{ periods }}
        on {{ events }}.la_code = {{ periods }}.la_code
        and event_period.period_type = {{ periods }}.period_type
        and event_period.period_start = {{ periods }}.period_start
        and {{ periods }}.period_type != 'day'
{%- endmacro %}
