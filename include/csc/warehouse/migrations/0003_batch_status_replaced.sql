-- Batch lifecycle (csc.batches): a candidate replaced by a newer or corrected extract before it was published is
-- 'replaced', no longer 'superseded' (which now always means: published, then superseded by a later publication).
-- Only published and superseded batches count as published.
alter table ops.extract_batches drop constraint if exists extract_batches_status_check;
alter table ops.extract_batches add constraint extract_batches_status_check
    check (status in ('loading', 'loaded', 'checked', 'blocked', 'published', 'superseded', 'replaced', 'refused',
                      'failed'));
update ops.extract_batches set status = 'replaced' where status = 'superseded' and published_at is null;
comment on column ops.extract_batches.status is
    'loading, loaded, checked, blocked, published, superseded (published, then a later batch was), replaced (a '
    'candidate replaced by a newer or corrected extract before publication), refused, failed: see csc.batches.';
