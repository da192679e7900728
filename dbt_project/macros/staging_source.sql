{#
    The rows of one extract table that belong to each LA's build batch (ops.build_batches), lineage first: the
    batch's la_code, batch_id and extract_date, and the CSV line (source_line_no), then every extract column.
    Every staging model of an extract imports its rows through this one join:
    `source as ({{ staging_source('ssd', 'contacts') }})`.
    With outcome_json (e.g. 'source.cont_contact_outcome_json'), that column is parsed once into `outcome` (for
    json_outcome_flags); the model then imports its rows `as materialized`, so that each flag reads the parsed
    object instead of parsing the JSON again.
#}
{% macro staging_source(source_name, table_name, outcome_json=none) -%}
    select
        build_batches.la_code,
        build_batches.batch_id,
        build_batches.extract_date,
        source._line_no as source_line_no,
        source.*{{ ',' if outcome_json }}
        {%- if outcome_json %}
        {{ parse_outcome_json(outcome_json) }} as outcome
        {%- endif %}
    from {{ source(source_name, table_name) }} as source
    inner join {{ source('ops', 'build_batches') }} as build_batches
        on source._batch_id = build_batches.batch_id
{%- endmacro %}


{#
    One flag column a key of a parsed outcome JSON object, named outcome_<key without _FLAG> in lower case
    (json_outcome_flag gives each its value), comma-separated.
#}
{% macro json_outcome_flags(parsed_object, keys) -%}
    {%- for key in keys %}
        {{ json_outcome_flag(parsed_object, key) }}
            as outcome_{{ key | lower | replace('_flag', '') }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
