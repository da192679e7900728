-- The data-quality checks copy the batch under check into typed work tables (ops.dq_r<run>_<table>, unlogged): every
-- raw column as extracted plus each date read once, instead of once per rule. They are created and dropped by the
-- loader role within one run; nothing else reads them.
grant create on schema ops to csc_loader;
