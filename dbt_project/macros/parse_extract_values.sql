{#
    Typing the text of a raw extract. The rules the data-quality checks share (dates, codes, flags) are SQL
    functions of the warehouse (include/csc/warehouse/rules.sql): these macros only call them. Real exports mix ISO and dd/mm/yyyy dates, with or without a time, pad
    values with spaces and write flags in either case. Values that cannot be read become NULL here (the
    data-quality checks report them); nothing raises, so one bad value never stops the build.
#}

{#
    A date in one of the forms the loader accepts (ISO yyyy-mm-dd or UK d/m/yyyy, optionally with a time); NULL
    otherwise. The rule is the SQL function ops.extract_date (include/csc/warehouse/rules.sql), which the
    data-quality checks call too and the loader's fast checks are tested against: it is written once.
#}
{% macro parse_extract_date(column) -%}
    ops.extract_date({{ column }})
{%- endmacro %}

{# A Y/N flag as a boolean (either case, padded or not); anything else is NULL. #}
{% macro parse_flag(column) -%}
    ops.extract_flag({{ column }})
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

{# A code: trimmed and upper-case, blank as NULL (ops.extract_code, shared with the checks). #}
{% macro clean_code(column) -%}
    ops.extract_code({{ column }})
{%- endmacro %}

{#
    One Y/N flag of an SSD outcome JSON object ({"NFA_FLAG": "Y", ...}) as a boolean, from the object already
    parsed once per record with ops.outcome_json() (flags recovered from an object the SSD made invalid JSON with
    unescaped comments; an unreadable object gives NULL flags, never an error, and the check STR_JSON names it).
#}
{% macro json_outcome_flag(parsed_object, key) -%}
    case upper(trim({{ parsed_object }} ->> '{{ key }}'))
        when 'Y' then true
        when 'N' then false
    end
{%- endmacro %}

{# The outcome JSON of a record parsed once: ops.outcome_json, the one definition (include/csc/warehouse/rules.sql). #}
{% macro parse_outcome_json(column) -%}
    ops.outcome_json({{ column }})
{%- endmacro %}

{# The codes of a JSON array of strings (["1B","3A"]) as a text[] of trimmed upper-case codes. #}
{% macro json_code_array(column) -%}
    array(
        select upper(trim(code_match[1]))
        from regexp_matches(coalesce({{ column }}, ''), '"([^"]*)"', 'g') as code_match
    )
{%- endmacro %}
