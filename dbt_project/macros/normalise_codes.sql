{# Code normalisation shared by the staging models, so each rule lives in one place. #}

{# Sex: legacy codes 1/2 (before 2024-25) become M/F; M/F/U kept; anything else kept upper-case for the checks. #}
{% macro normalise_sex(column) -%}
    case {{ clean_code(column) }}
        when '1' then 'M'
        when '2' then 'F'
        else {{ clean_code(column) }}
    end
{%- endmacro %}

{# Category of abuse: the words some systems write (Neglect, Physical abuse...) become NEG/PHY/SAB/EMO/MUL. #}
{% macro normalise_category_of_abuse(column) -%}
    {%- set word = "lower(trim(" ~ column ~ "))" -%}
    case
        when {{ word }} in ('neg', 'neglect') then 'NEG'
        when {{ word }} in ('phy', 'physical', 'physical abuse') then 'PHY'
        when {{ word }} in ('sab', 'sexual', 'sexual abuse') then 'SAB'
        when {{ word }} in ('emo', 'emotional', 'emotional abuse') then 'EMO'
        when {{ word }} in ('mul', 'multiple', 'multiple/not recommended') then 'MUL'
        else {{ clean_code(column) }}
    end
{%- endmacro %}
