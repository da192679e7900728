{#
    Regional pooling (issue 14): the indicators of every LA of a region side by side, and the region's own figure.
    One row per region, area (each LA of the region, area_kind 'la', and the region itself, area_kind 'region'),
    indicator, period type and period. An LA's row is its row of indicator_values, unchanged. The region's row
    pools its LAs: numerator and denominator are the totals of the LAs' numerators and denominators, and the value
    is recomputed from those totals exactly as an LA's is (macro indicator_value; never an average of the LAs'
    values); a rate per 10,000 divides by the total population / 10,000.
    The region's figure is not available (numerator, denominator and value empty, never zero), the first reason that
    applies given: when an LA of the region has no row for the period ('not_in_every_la': no batch built yet, or a
    different extract date); when any LA of the region has no figure (that LA's reason, the first LA by code with
    one, e.g. returns_only); and for a median ('median_not_pooled': medians do not add up). Grain and columns are the same for both kinds of area,
    so a BI tool filters area_kind. Read by csc_analyst and the region's analysts (csc_regional_analyst, only their
    region's rows: row-level security on ops.regional_access).
#}
with

indicator_values as (
    select * from {{ ref('indicator_values') }}
),

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

la_regions as (
    select * from {{ ref('stg_ops__la_regions') }}
),

region_sizes as (
    select
        region,
        count(*) as region_la_count
    from la_regions
    group by region
),

la_figures as (
    select
        la_regions.region,
        'la' as area_kind,
        indicator_values.la_code as area_code,
        la_regions.la_name as area_name,
        indicator_values.indicator_id,
        indicator_values.period_type,
        indicator_values.period_start,
        indicator_values.period_end,
        indicator_values.period_label,
        indicator_values.unit,
        indicator_values.numerator,
        indicator_values.denominator,
        indicator_values.value,
        indicator_values.not_available_reason,
        1::bigint as la_count
    from indicator_values
    inner join la_regions on indicator_values.la_code = la_regions.la_code
),

pooled as (
    select
        region,
        indicator_id,
        period_type,
        period_start,
        min(period_end) as period_end,
        min(period_label) as period_label,
        min(unit) as unit,
        sum(numerator) as numerator_total,
        sum(denominator) as denominator_total,
        (array_agg(not_available_reason order by area_code)
            filter (where not_available_reason is not null))[1] as first_la_reason,
        count(*) as la_count
    from la_figures
    group by region, indicator_id, period_type, period_start
),

region_reasons as (
    select
        pooled.*,
        case
            when pooled.la_count < region_sizes.region_la_count then 'not_in_every_la'
            when pooled.first_la_reason is not null then pooled.first_la_reason
            when catalogue.aggregation = 'median' then 'median_not_pooled'
        end as not_available_reason
    from pooled
    inner join region_sizes on pooled.region = region_sizes.region
    inner join catalogue on pooled.indicator_id = catalogue.indicator_id
),

region_figures as (
    select
        region,
        'region' as area_kind,
        region as area_code,
        region as area_name,
        indicator_id,
        period_type,
        period_start,
        period_end,
        period_label,
        unit,
        case when not_available_reason is null then numerator_total end as numerator,
        case when not_available_reason is null then denominator_total end as denominator,
        {{ indicator_value('numerator_total', 'denominator_total', 'unit', 'not_available_reason') }} as value,
        not_available_reason,
        la_count
    from region_reasons
),

final as (
    select * from la_figures
    union all
    select * from region_figures
)

select * from final
