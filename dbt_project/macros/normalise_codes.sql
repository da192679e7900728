{#
    Code normalisation shared by the staging models. Each rule is a SQL function of the warehouse
    (include/csc/warehouse/rules.sql) that the data-quality checks call too
    (ops.dq_normalised_code), so staging and the checks cannot disagree.
#}

{# Sex: legacy codes 1/2 (before 2024-25) become M/F; M/F/U kept; anything else kept upper-case for the checks. #}
{% macro normalise_sex(column) -%}
    ops.extract_sex({{ column }})
{%- endmacro %}

{# Category of abuse: the words some systems write (Neglect, Physical abuse...) become NEG/PHY/SAB/EMO/MUL. #}
{% macro normalise_category_of_abuse(column) -%}
    ops.extract_category_of_abuse({{ column }})
{%- endmacro %}
