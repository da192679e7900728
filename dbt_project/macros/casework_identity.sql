{#
    Casework lists name the child so that a team manager can act: the identity columns of a child, from the
    restricted staging person table (first record of a duplicated person id).
#}
{% macro casework_child_identity_cte() -%}
    select distinct on (la_code, child_key)
        la_code,
        child_key,
        person_id,
        forename,
        surname,
        date_of_birth
    from {{ ref('stg_ssd__person') }}
    where child_key is not null
    order by la_code, child_key, source_line_no
{%- endmacro %}
