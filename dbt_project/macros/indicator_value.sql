{#
    An indicator's published figure from its numerator and denominator (INDICATORS.md, Conventions): counts and days
    are the numerator; a percentage is 100 x numerator / denominator; any other ratio (a rate per 10,000 divides by
    population / 10,000) is numerator / denominator. Rounded to 4 decimal places, half away from zero
    (round(numeric, 4)); NULL when the denominator is 0 or unknown, and when the figure is not available (a reason
    is given). Used by every model that computes a figure (an LA's, int_indicator_values_computed; a region's,
    regional_indicator_comparison), so that the rule lives in one place.
#}
{% macro indicator_value(numerator, denominator, unit, not_available_reason) -%}
    case
        when {{ not_available_reason }} is not null then null
        when {{ unit }} in ('count', 'days') then round({{ numerator }}, 4)
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        when {{ unit }} = 'percent' then round(100 * {{ numerator }} / {{ denominator }}, 4)
        else round({{ numerator }} / {{ denominator }}, 4)
    end
{%- endmacro %}
