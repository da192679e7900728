{#
    RAG rating of a value against a target and an amber threshold. Higher-is-better: green at or above the target,
    amber at or above the threshold, else red; lower-is-better the other way round. No rating for context
    indicators, a missing value or a missing target.
#}
{% macro rag_rating(value, polarity, target, amber_threshold) -%}
    case
        when {{ value }} is null or {{ target }} is null then null
        when {{ polarity }} = 'higher' then
            case
                when {{ value }} >= {{ target }} then 'green'
                when {{ value }} >= {{ amber_threshold }} then 'amber'
                else 'red'
            end
        when {{ polarity }} = 'lower' then
            case
                when {{ value }} <= {{ target }} then 'green'
                when {{ value }} <= {{ amber_threshold }} then 'amber'
                else 'red'
            end
    end
{%- endmacro %}
