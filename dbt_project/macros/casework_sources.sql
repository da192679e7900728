{#
    Shared starts of the casework lists (marts/casework), before casework_list writes their final CTE.
#}

{#
    The CTE extract_dates of a casework list that counts working days to the extract date: each LA's extract date
    of the batch being built, as its reporting date (la_code, as_at_date, working_day_index). The macro writes the
    import CTEs it reads and extract_dates, each followed by a comma.
#}
{% macro casework_extract_dates() -%}
extract_reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

extract_build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

extract_dates as (
    select extract_reporting_dates.*
    from extract_reporting_dates
    inner join extract_build_batches
        on extract_reporting_dates.la_code = extract_build_batches.la_code
        and extract_reporting_dates.as_at_date = extract_build_batches.extract_date
),
{%- endmacro %}

{#
    The CTE looked_after_episodes of a casework list of looked-after children: the CLA episodes open on each LA's
    extract date (int_cla_episodes_as_at, every column) of children looked after then and not only on short breaks,
    with the columns child_columns of the child (int_looked_after_children_as_at). The macro writes the import CTEs
    it reads and looked_after_episodes, each followed by a comma.
#}
{% macro casework_looked_after_episodes(child_columns=[]) -%}
looked_after_episodes_on_date as (
    select * from {{ ref('int_cla_episodes_as_at') }}
),

looked_after_children_on_date as (
    select * from {{ ref('int_looked_after_children_as_at') }}
),

looked_after_build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

looked_after_episodes as (
    select
        looked_after_episodes_on_date.*
        {%- for column in child_columns %},
        looked_after_children_on_date.{{ column }}
        {%- endfor %}
    from looked_after_episodes_on_date
    inner join looked_after_build_batches
        on looked_after_episodes_on_date.la_code = looked_after_build_batches.la_code
        and looked_after_episodes_on_date.as_at_date = looked_after_build_batches.extract_date
    inner join looked_after_children_on_date
        on looked_after_episodes_on_date.la_code = looked_after_children_on_date.la_code
        and looked_after_episodes_on_date.as_at_date = looked_after_children_on_date.as_at_date
        and looked_after_episodes_on_date.child_key = looked_after_children_on_date.child_key
    where not looked_after_children_on_date.is_short_breaks_only
),
{%- endmacro %}
