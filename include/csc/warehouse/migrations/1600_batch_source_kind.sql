-- Statutory return files as a second input (issue 14). A batch is either an SSD extract (files or the LA's reporting
-- database) or the combined history of an LA's imported returns (SSDA903, CIN census, Annex A), rendered in the SSD's
-- shape and loaded through the same loader. Indicators need to know which: a batch built from returns alone holds no
-- allocations, visits or workforce, so those indicators are "not available" (reason 'returns_only'), never zero.
alter table ops.extract_batches
    add column source_kind text not null default 'ssd' check (source_kind in ('ssd', 'returns'));
comment on column ops.extract_batches.source_kind is
    'ssd: an SSD extract (files or source database); returns: the LA''s imported statutory returns (csc import).';
