{#
    Row-level security for the regional comparison mart: a region's analysts (csc_regional_analyst) see only the
    rows of the region ops.regional_access records for their login (csc bi add-login NAME --region REGION); the
    named analysts (csc_analyst) see every region. Applied as a post-hook, so the policies exist before the table is
    published.
#}
{% macro restrict_rows_to_region() -%}
    alter table {{ this }} enable row level security;
    drop policy if exists own_region on {{ this }};
    create policy own_region on {{ this }} for select to csc_regional_analyst using (
        region in (
            select access.region
            from ops.regional_access as access
            where access.role_name in (select rolname from pg_roles where pg_has_role(oid, 'USAGE'))
        )
    );
    drop policy if exists every_region on {{ this }};
    create policy every_region on {{ this }} for select to csc_analyst using (true)
{%- endmacro %}
