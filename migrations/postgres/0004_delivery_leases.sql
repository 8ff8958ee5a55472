-- Several instances send one outbox. An instance claims the due deliveries it is about to send by
-- setting `claimed_until` (in the statement that picks them, skipping rows another instance is
-- claiming), so no other instance sends them meanwhile; recording the attempt clears it. An instance
-- that dies mid-attempt leaves the lease to expire, and another sends the delivery again (the same
-- `webhook-id`, so receivers can drop the repeat). SQLite, one process, needs no lease.
ALTER TABLE webhook_deliveries ADD COLUMN claimed_until BIGINT;
