{#
    Custom schemas are used as named (staging, intermediate, marts, casework), not prefixed with the target schema.
    The schemas BI and team managers read (var published_schemas) are built under a suffix (var publication_suffix,
    "__next" by default) and made visible by csc.transform.publish in one transaction.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim in var('published_schemas') -%}
        {{ custom_schema_name | trim }}{{ var('publication_suffix') }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
