{#
    Post-hook: ANALYZE a table dbt has just built, so that the models reading it next are planned from its real
    size (a freshly created table has no statistics, and the planner then guesses a thousand rows where there are
    a million: sorts spilled to disk instead of hash joins). Views have no statistics of their own: nothing to do.
#}
{% macro refresh_planner_statistics() -%}
    {%- if model.config.materialized in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
