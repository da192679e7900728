{#
    One row per record of every file of the batches being built, with its record key as the data-quality checks
    write it in ops.dq_failing_records (primary-key values as extracted, composite keys joined with '|'). The
    tables and keys come from the extract contract (macro extract_contract_keys, generated from it).
#}
{%- set contract_keys = extract_contract_keys() %}

with

{% for source_name, tables in contract_keys.items() -%}
{% for table_name in tables -%}
{{ source_name }}__{{ table_name }} as (
    select * from {{ source(source_name, table_name) }}
),

{% endfor -%}
{% endfor -%}

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

records as (
    {%- for source_name, tables in contract_keys.items() %}
    {%- set outer_loop = loop %}
    {%- for table_name, key_columns in tables.items() %}
    select
        _batch_id,
        _line_no as source_line_no,
        '{{ source_name }}_{{ table_name }}' as table_name,
        {% if key_columns | length == 1 -%}
        coalesce({{ key_columns[0] }}, '')
        {%- else -%}
        {% for column in key_columns %}coalesce({{ column }}, ''){% if not loop.last %} || '|' || {% endif %}{% endfor %}
        {%- endif %} as record_key
    from {{ source_name }}__{{ table_name }}
    {% if not (outer_loop.last and loop.last) %}union all{% endif %}
    {%- endfor %}
    {%- endfor %}
),

renamed as (
    select
        build_batches.la_code,
        build_batches.batch_id,
        build_batches.extract_date,
        records.table_name,
        records.source_line_no,
        records.record_key
    from records
    inner join build_batches on records._batch_id = build_batches.batch_id
)

select * from renamed
