{#
    Every catalogue indicator for every LA and reporting period; stock indicators also as at the extract date
    (period_type 'day'); indicators that exist only as at the extract date (DQ_PASS_RATE) only for that date and
    the periods ending on it. Flow indicators sum the contributions of their period; stock and rolling indicators
    those as at the period end.
    Numerators and denominators are exact; population rates divide by the LA's population aged 0-17 / 10,000 for
    the year of the mid-year estimate within the financial year of the period end (the LA's own population file,
    config/las.yml `population:`, where it has one: stg_ops__la_population; else the la_population seed); value is rounded to 4 decimal
    places, half away from zero (round(numeric, 4)), and NULL when the denominator is 0. Counts and the
    median carry value = numerator and no denominator. docs/INTERFACES.md is the contract.
    "Not available" is one convention (docs/INDICATORS.md): the row exists with numerator, denominator and value
    NULL and a reason code, never zero. 'no_population': a population rate of an LA with no population row for
    that year (the data-quality rule REF_POPULATION_AVAILABLE warns, naming the LA and the year); 'no_hr_extract':
    a workforce indicator of an LA whose batch has no hr_workers; 'no_hr_establishment': the vacancy rate without
    hr_establishment (var indicator_inputs); 'returns_only': an indicator needing an input (seed indicator_inputs)
    that the batch's kind of source cannot supply (var source_kind_gaps: a batch of imported statutory returns has
    no allocations, visits or workforce), given ahead of the others. The first reason that applies is given.
#}
with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

contributions as (
    select * from {{ ref('int_indicator_contributions') }}
),

seed_population as (
    select * from {{ ref('la_population') }}
),

file_population as (
    select * from {{ ref('stg_ops__la_population') }}
),

la_population as (
    -- an LA's own population file (config/las.yml population:) replaces the seed's rows for that LA: a year the file
    -- lacks has no population (the checks read the same rows, rule REF_POPULATION_AVAILABLE)
    select la_code, year, population_0_17 from file_population
    union all
    select seed_population.la_code, seed_population.year, seed_population.population_0_17
    from seed_population
    where not exists (select 1 from file_population where file_population.la_code = seed_population.la_code)
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

indicator_inputs as (
    select * from {{ ref('indicator_inputs') }}
),

source_kind_gaps as (
    -- the inputs a batch of each kind of source cannot supply (var source_kind_gaps)
    {%- set gaps = var('source_kind_gaps') %}
    select gaps.source_kind, gaps.input_name, gaps.reason
    from (values
    {%- for source_kind, rule in gaps.items() %}
        {%- set outer_last = loop.last %}
        {%- for input_name in rule.inputs %}
        ('{{ source_kind }}', '{{ input_name }}', '{{ rule.reason }}'){{ ',' if not (outer_last and loop.last) }}
        {%- endfor %}
    {%- endfor %}
    ) as gaps (source_kind, input_name, reason)
),

missing_inputs as (
    -- indicators whose input the batch's kind of source cannot supply (seed indicator_inputs, var source_kind_gaps)
    select distinct
        build_batches.la_code,
        indicator_inputs.indicator_id,
        source_kind_gaps.reason,
        0 as reason_order
    from build_batches
    inner join source_kind_gaps on build_batches.source_kind = source_kind_gaps.source_kind
    inner join indicator_inputs on source_kind_gaps.input_name = indicator_inputs.input_name
    union all
    -- indicators an LA's batch lacks an input for (var indicator_inputs), with the reason
    {%- set inputs = var('indicator_inputs') %}
    {%- for input_table, rule in inputs.items() %}
    select
        build_batches.la_code,
        missing.indicator_id,
        '{{ rule.reason }}' as reason,
        {{ loop.index }} as reason_order
    from build_batches
    cross join (values {% for i in rule.indicators %}('{{ i }}'){{ ', ' if not loop.last }}{% endfor %}) as missing (indicator_id)
    where not build_batches.has_{{ input_table }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

first_missing_inputs as (
    select distinct on (la_code, indicator_id) la_code, indicator_id, reason
    from missing_inputs
    order by la_code, indicator_id, reason_order
),

indicator_periods as (
    select
        reporting_periods.la_code,
        reporting_periods.extract_date,
        reporting_periods.period_type,
        reporting_periods.period_start,
        reporting_periods.period_end,
        reporting_periods.period_label,
        catalogue.indicator_id,
        catalogue.kind,
        catalogue.unit,
        catalogue.aggregation,
        catalogue.denominator_basis
    from reporting_periods
    cross join catalogue
    where (catalogue.kind = 'stock' or reporting_periods.period_type != 'day')
        and (not catalogue.is_extract_date_only or reporting_periods.period_end = reporting_periods.extract_date)
),

contribution_sums as (
    -- summed once per indicator and contribution period (a stock's date), before any fan-out to periods
    select
        la_code,
        indicator_id,
        period_type,
        period_start,
        period_end,
        sum(numerator_amount) as numerator_sum,
        sum(denominator_amount) as denominator_sum
    from contributions
    group by la_code, indicator_id, period_type, period_start, period_end
),

sums as (
    -- flows: the contributions of the period itself
    select
        indicator_periods.la_code,
        indicator_periods.indicator_id,
        indicator_periods.period_type,
        indicator_periods.period_start,
        contribution_sums.numerator_sum,
        contribution_sums.denominator_sum
    from indicator_periods
    inner join contribution_sums
        on indicator_periods.la_code = contribution_sums.la_code
        and indicator_periods.indicator_id = contribution_sums.indicator_id
        and indicator_periods.period_type = contribution_sums.period_type
        and indicator_periods.period_start = contribution_sums.period_start
    where indicator_periods.kind = 'flow'
    union all
    -- stocks and rolling flows: the contributions as at the period end
    select
        indicator_periods.la_code,
        indicator_periods.indicator_id,
        indicator_periods.period_type,
        indicator_periods.period_start,
        contribution_sums.numerator_sum,
        contribution_sums.denominator_sum
    from indicator_periods
    inner join contribution_sums
        on indicator_periods.la_code = contribution_sums.la_code
        and indicator_periods.indicator_id = contribution_sums.indicator_id
        and indicator_periods.period_end = contribution_sums.period_end
    where indicator_periods.kind != 'flow'
        and contribution_sums.period_type = 'as_at'
),

median_contributions as (
    -- medians need the amounts themselves: only median indicators' (stocks: as at a date)
    select
        contributions.la_code,
        contributions.indicator_id,
        contributions.period_end,
        contributions.numerator_amount
    from contributions
    inner join catalogue on contributions.indicator_id = catalogue.indicator_id
    where catalogue.aggregation = 'median'
        and contributions.period_type = 'as_at'
),

ranked_amounts as (
    select
        median_contributions.*,
        row_number() over (
            partition by la_code, indicator_id, period_end order by numerator_amount
        ) as amount_rank,
        count(*) over (partition by la_code, indicator_id, period_end) as amount_count
    from median_contributions
),

medians_by_date as (
    select
        la_code,
        indicator_id,
        period_end,
        trim_scale(avg(numerator_amount)) as numerator_median
    from ranked_amounts
    where amount_rank in ((amount_count + 1) / 2, (amount_count + 2) / 2)
    group by la_code, indicator_id, period_end
),

medians as (
    select
        indicator_periods.la_code,
        indicator_periods.indicator_id,
        indicator_periods.period_type,
        indicator_periods.period_start,
        medians_by_date.numerator_median
    from indicator_periods
    inner join medians_by_date
        on indicator_periods.la_code = medians_by_date.la_code
        and indicator_periods.indicator_id = medians_by_date.indicator_id
        and indicator_periods.period_end = medians_by_date.period_end
    where indicator_periods.kind != 'flow'
),

exact_figures as (
    select
        indicator_periods.la_code,
        indicator_periods.extract_date,
        indicator_periods.indicator_id,
        indicator_periods.period_type,
        indicator_periods.period_start,
        indicator_periods.period_end,
        indicator_periods.period_label,
        indicator_periods.unit,
        case indicator_periods.aggregation
            when 'median' then medians.numerator_median
            else coalesce(sums.numerator_sum, 0)
        end as numerator,
        case indicator_periods.denominator_basis
            when 'records' then coalesce(sums.denominator_sum, 0)
            when 'population' then round(la_population.population_0_17::numeric / 10000, 4)
        end as denominator,
        case
            when first_missing_inputs.reason is not null then first_missing_inputs.reason
            when indicator_periods.denominator_basis = 'population' and la_population.population_0_17 is null
                then 'no_population'
        end as not_available_reason
    from indicator_periods
    left join sums
        on indicator_periods.la_code = sums.la_code
        and indicator_periods.indicator_id = sums.indicator_id
        and indicator_periods.period_type = sums.period_type
        and indicator_periods.period_start = sums.period_start
    left join medians
        on indicator_periods.la_code = medians.la_code
        and indicator_periods.indicator_id = medians.indicator_id
        and indicator_periods.period_type = medians.period_type
        and indicator_periods.period_start = medians.period_start
    left join first_missing_inputs
        on indicator_periods.la_code = first_missing_inputs.la_code
        and indicator_periods.indicator_id = first_missing_inputs.indicator_id
    left join la_population
        on indicator_periods.la_code = la_population.la_code
        and la_population.year = extract(year from indicator_periods.period_end)::int
            - case when extract(month from indicator_periods.period_end) < 4 then 1 else 0 end
),

final as (
    select
        la_code,
        extract_date,
        indicator_id,
        period_type,
        period_start,
        period_end,
        period_label,
        case when not_available_reason is null then numerator end as numerator,
        case when not_available_reason is null then denominator end as denominator,
        {{ indicator_value('numerator', 'denominator', 'unit', 'not_available_reason') }} as value,
        not_available_reason
    from exact_figures
)

select * from final
