{#
    SQL functions the staging layer uses, (re)created at the start of every dbt invocation (on-run-start), so a
    plain `dbt build`, csc build and Cosmos' per-model runs all find them.

    json_object_or_null(text): the text as a jsonb object, or NULL when it is not a valid JSON object. Outcome
    JSON of a real extract can be malformed; one bad value must give NULL flags, never fail the build. Parallel
    unsafe: its exception block starts a subtransaction, which parallel workers cannot.
#}
{% macro create_extract_functions() -%}
    create or replace function {{ generate_schema_name('staging', none) }}.json_object_or_null(document text)
    returns jsonb
    language plpgsql immutable strict parallel unsafe  -- an exception block needs a subtransaction
    as $body$
    declare
        parsed jsonb;
    begin
        parsed := document::jsonb;
        return case when jsonb_typeof(parsed) = 'object' then parsed end;
    exception when invalid_text_representation then
        return null;
    end;
    $body$
{%- endmacro %}
