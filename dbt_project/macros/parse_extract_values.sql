{#
    Typing the text of a raw extract. Real exports mix ISO and dd/mm/yyyy dates, with or without a time, pad
    values with spaces and write flags in either case. Values that cannot be read become NULL here (the
    data-quality checks report them); nothing raises, so one bad value never stops the build.
#}

{# A date from ISO (yyyy-mm-dd, optionally followed by a time) or UK (dd/mm/yyyy, optionally with a time). #}
{% macro parse_extract_date(column) -%}
    {%- set value = "trim(" ~ column ~ ")" -%}
    {%- set uk_day = "split_part(" ~ value ~ ", ' ', 1)" -%}
    case
        when {{ value }} ~ '^\d{4}-\d{2}-\d{2}($|[ T])' then {{ _valid_date(
            "substr(" ~ value ~ ", 1, 4)::int",
            "substr(" ~ value ~ ", 6, 2)::int",
            "substr(" ~ value ~ ", 9, 2)::int") }}
        when {{ value }} ~ '^\d{1,2}/\d{1,2}/\d{4}($| )' then {{ _valid_date(
            "split_part(" ~ uk_day ~ ", '/', 3)::int",
            "split_part(" ~ uk_day ~ ", '/', 2)::int",
            "split_part(" ~ uk_day ~ ", '/', 1)::int") }}
    end
{%- endmacro %}

{% macro _valid_date(year, month, day) -%}
    case
        when {{ year }} >= 1
            and {{ month }} between 1 and 12
            and {{ day }} between 1 and extract(
                day from make_date({{ year }}, {{ month }}, 1) + interval '1 month' - interval '1 day'
            )
            then make_date({{ year }}, {{ month }}, {{ day }})
    end
{%- endmacro %}

{# A Y/N flag as a boolean (either case, padded or not); anything else is NULL. #}
{% macro parse_flag(column) -%}
    case upper(trim({{ column }})) when 'Y' then true when 'N' then false end
{%- endmacro %}

{# A decimal number (FTE, distance); anything else is NULL. #}
{% macro parse_decimal(column) -%}
    case when trim({{ column }}) ~ '^[+-]?(\d+(\.\d*)?|\.\d+)$' then trim({{ column }})::numeric end
{%- endmacro %}

{# A whole number (caseload); anything else is NULL. #}
{% macro parse_integer(column) -%}
    case when trim({{ column }}) ~ '^[+-]?\d{1,9}$' then trim({{ column }})::integer end
{%- endmacro %}

{# Trimmed text, blank as NULL. #}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{# A code: trimmed and upper-case, blank as NULL. #}
{% macro clean_code(column) -%}
    nullif(upper(trim({{ column }})), '')
{%- endmacro %}

{#
    One Y/N flag of an SSD outcome JSON object ({"NFA_FLAG": "Y", ...}) as a boolean, from the object already
    parsed once per record with json_object_or_null() (a malformed object gives NULL flags, never an error).
#}
{% macro json_outcome_flag(parsed_object, key) -%}
    case upper(trim({{ parsed_object }} ->> '{{ key }}'))
        when 'Y' then true
        when 'N' then false
    end
{%- endmacro %}

{# The outcome JSON of a record parsed once (see macros/create_extract_functions.sql). #}
{% macro parse_outcome_json(column) -%}
    {{ generate_schema_name('staging', none) }}.json_object_or_null({{ column }})
{%- endmacro %}

{# The codes of a JSON array of strings (["1B","3A"]) as a text[] of trimmed upper-case codes. #}
{% macro json_code_array(column) -%}
    array(
        select upper(trim(code_match[1]))
        from regexp_matches(coalesce({{ column }}, ''), '"([^"]*)"', 'g') as code_match
    )
{%- endmacro %}
