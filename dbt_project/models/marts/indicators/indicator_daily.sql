{#
    The value of every stock indicator as at each extract date: the daily history, one row per LA, extract date
    and indicator. Rows come from int_indicator_daily_recorded, which keeps what was recorded when each batch was
    built, so later extracts never rewrite an earlier date. Only published batches and the batch this build
    publishes appear; when several batches share an extract date, the first published one stands.
#}
with

recorded as (
    select * from {{ ref('int_indicator_daily_recorded') }}
),

extract_batches as (
    select * from {{ ref('stg_ops__extract_batches') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

targets as (
    select * from {{ ref('int_indicator_targets') }}
),

publishable_batches as (
    select
        extract_batches.la_code,
        extract_batches.extract_date,
        extract_batches.batch_id,
        extract_batches.published_at
    from extract_batches
    left join build_batches on extract_batches.batch_id = build_batches.batch_id
    where extract_batches.published_at is not null
        or build_batches.batch_id is not null
),

batch_per_date as (
    select distinct on (la_code, extract_date)
        la_code,
        extract_date,
        batch_id
    from publishable_batches
    order by la_code, extract_date, published_at asc nulls last, batch_id
),

history as (
    select recorded.*
    from recorded
    inner join batch_per_date on recorded.batch_id = batch_per_date.batch_id
),

targets_in_force as (
    select distinct on (history.la_code, history.indicator_id, history.extract_date)
        history.la_code,
        history.indicator_id,
        history.extract_date,
        targets.target,
        targets.amber_threshold
    from history
    inner join targets
        on history.la_code = targets.la_code
        and history.indicator_id = targets.indicator_id
        and targets.effective_from <= history.extract_date
    order by history.la_code, history.indicator_id, history.extract_date, targets.effective_from desc
),

final as (
    select
        history.la_code,
        history.indicator_id,
        history.extract_date,
        catalogue.indicator_name,
        catalogue.unit,
        catalogue.polarity,
        history.numerator,
        history.denominator,
        history.value,
        history.not_available_reason,
        targets_in_force.target,
        targets_in_force.amber_threshold,
        {{ rag_rating('history.value', 'catalogue.polarity', 'targets_in_force.target',
                      'targets_in_force.amber_threshold') }} as rag
    from history
    inner join catalogue on history.indicator_id = catalogue.indicator_id
    left join targets_in_force
        on history.la_code = targets_in_force.la_code
        and history.indicator_id = targets_in_force.indicator_id
        and history.extract_date = targets_in_force.extract_date
)

select * from final
