{#
    What BI reads of a mart (models/bi): every column as it is, except dates, which become the first day of their
    month (`referral_date` -> `referral_month`, `counts_from` -> `counts_from_month`), plus durations in days
    computed from the exact dates before they are coarsened. `source_cte`: the model's import CTE of the mart (`durations`: column name -> SQL expression over the
    mart's columns). Columns listed in `drop` are left out. The mart itself (exact dates) stays in `marts`, which
    only analyst roles read.
#}
{% macro bi_safe_select(model_name, source_cte, durations={}, drop=[]) -%}
    {%- set columns = adapter.get_columns_in_relation(ref(model_name)) if execute else [] -%}
    {%- set selected = [] -%}
    {%- for column in columns if column.name not in drop -%}
        {%- set kind = column.data_type | lower -%}
        {%- if kind == 'date' or kind.startswith('timestamp') -%}
            {%- set month = column.name[:-5] ~ '_month' if column.name.endswith('_date') else column.name ~ '_month' -%}
            {%- do selected.append("date_trunc('month', " ~ adapter.quote(column.name) ~ ")::date as " ~ month) -%}
        {%- else -%}
            {%- do selected.append(adapter.quote(column.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name, expression in durations.items() -%}
        {%- do selected.append("(" ~ expression ~ ") as " ~ name) -%}
    {%- endfor %}
select
    {{ selected | join(',\n    ') if selected else '1 as not_compiled' }}
from {{ source_cte }}
{%- endmacro %}
