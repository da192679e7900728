-- The 0-17 population the rate indicators divide by, copied from dbt_project/seeds/reference/la_population.csv (the
-- one source, as for the code lists and bank holidays) so that the checks can warn, before dbt builds, that an LA or
-- a year has none: rule REF_POPULATION_AVAILABLE. dbt then publishes those rates as not available
-- (marts.indicator_values.not_available_reason = 'no_population'), never blank without a word.
create table ops.dq_population (
    la_code          text    not null,
    year             integer not null,  -- the mid-year estimate used for the financial year starting that April
    population_0_17  integer not null,
    primary key (la_code, year)
);
comment on table ops.dq_population is 'Copy of seeds/reference/la_population.csv for the data-quality checks.';
