-- The DfE validators on imported returns (issue 14, item 4): `csc import 903|cin` runs the DfE validator of the
-- return on the files as they came in and keeps its verdict in the tables of `csc statutory validate` (migration
-- 1101), linked here to the import it judged. A validation run of a built return has no import (null).
alter table ops.statutory_validation_runs
    add column import_id bigint references ops.return_imports on delete set null;
create index statutory_validation_runs_import on ops.statutory_validation_runs (import_id)
    where import_id is not null;
comment on column ops.statutory_validation_runs.import_id is
    'The imported return (ops.return_imports) whose files as received were validated; null for a return the product built.';
