{#
    Indicators know their inputs (issue 14): every catalogue indicator has at least one row in the seed
    indicator_inputs, and the indicators var indicator_inputs makes not available without an HR file are exactly those
    the seed says need that file. Returns the indicators that break either.
#}
with

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

indicator_inputs as (
    select * from {{ ref('indicator_inputs') }}
),

undeclared as (
    select catalogue.indicator_id, 'no input declared' as problem
    from catalogue
    where not exists (select 1 from indicator_inputs where indicator_inputs.indicator_id = catalogue.indicator_id)
),

var_inputs as (
    {%- set inputs = var('indicator_inputs') %}
    select var_rows.input_name, var_rows.indicator_id
    from (values
    {%- for input_name, rule in inputs.items() %}
        {%- set outer_last = loop.last %}
        {%- for indicator_id in rule.indicators %}
        ('{{ input_name }}', '{{ indicator_id }}'){{ ',' if not (outer_last and loop.last) }}
        {%- endfor %}
    {%- endfor %}
    ) as var_rows (input_name, indicator_id)
),

seed_inputs as (
    select indicator_inputs.input_name, indicator_inputs.indicator_id
    from indicator_inputs
    where indicator_inputs.input_name in (select input_name from var_inputs)
),

disagreeing as (
    select indicator_id, 'var indicator_inputs lists ' || input_name || ', the seed does not' as problem
    from (select * from var_inputs except select * from seed_inputs) as only_var
    union all
    select indicator_id, 'the seed lists ' || input_name || ', var indicator_inputs does not' as problem
    from (select * from seed_inputs except select * from var_inputs) as only_seed
),

final as (
    select * from undeclared
    union all
    select * from disagreeing
)

select * from final
