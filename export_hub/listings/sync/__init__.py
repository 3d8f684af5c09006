"""Delta sync of listings to the marketplaces: plan (pure), load, run
(fair, crash-safe executor), record (outcomes), follow (status after
submission) and claims (one run per seller at a time)."""
