"""Delta sync of listings to the marketplaces: plan (pure), load, run
(one seller's bounded, crash-safe step; the job engine schedules the steps),
record (outcomes) and follow (status after submission)."""
