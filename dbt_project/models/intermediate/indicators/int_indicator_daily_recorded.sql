{#
    The value of every stock indicator as at each extract date built, recorded once per batch and kept: an
    incremental table that later builds only add to (full_refresh is disabled, so not even `--full-refresh`
    rebuilds it). A batch that has not been published yet (a checked candidate) is re-recorded at each build, so a
    corrected build replaces its figures; once a batch is published its figures are never rewritten.
    marts.indicator_daily publishes the rows of published batches and of the batch being published.
    New columns are appended (not_available_reason, added later, is blank on rows recorded before it existed).
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['batch_id', 'indicator_id'],
        full_refresh=false,
        on_schema_change='append_new_columns'
    )
}}

with

indicator_values as (
    select * from {{ ref('int_indicator_values_computed') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

final as (
    select
        build_batches.la_code,
        build_batches.batch_id,
        build_batches.extract_date,
        indicator_values.indicator_id,
        indicator_values.numerator,
        indicator_values.denominator,
        indicator_values.value,
        indicator_values.not_available_reason
    from indicator_values
    inner join build_batches on indicator_values.la_code = build_batches.la_code
    where indicator_values.period_type = 'day'
    {%- if is_incremental() %}
        and (
            build_batches.batch_status != 'published'
            or not exists (
                select 1 from {{ this }} as recorded where recorded.batch_id = build_batches.batch_id
            )
        )
    {%- endif %}
)

select * from final
