-- An LA's own population file (config/las.yml `population:`, ONS mid-year 0-17 by year) is what its rates divide by
-- (issue 11 item 7). ops.dq_population already holds the seed's rows with each such LA's rows taken from its file
-- instead (csc.quality.reference, refreshed before every check run and every build); population_file says which
-- rows came from a file, so that dbt (stg_ops__la_population) uses them for that LA and the seed for the others.
alter table ops.dq_population add column population_file text;
comment on column ops.dq_population.population_file is
    'The LA''s population file the row was read from (config/las.yml population:); null for a row of the seed.';
comment on table ops.dq_population is
    'Population aged 0-17 by LA and year: seeds/reference/la_population.csv, an LA''s own population: file replacing its seed rows.';
-- rows stored before this column existed are reloaded, with their file, by the next refresh
delete from ops.dq_reference_versions where name = 'la_population';
