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
