{#
    Generic test: every row (optionally only those matching `where_clause`) satisfies a boolean SQL expression.
    Fails with the rows for which the expression is false or NULL. On a column, the expression still names the
    columns it reads (column_name is accepted so the test can sit under the column it is about).
#}
{% test expression_is_true(model, expression, where_clause=none, column_name=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{%- if where_clause %}
    and ({{ where_clause }})
{%- endif %}
{% endtest %}
