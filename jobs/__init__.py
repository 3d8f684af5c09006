"""Background jobs. Each job is an idempotent async function over injected
resources; it does not know whether the embedded scheduler or a procrastinate
worker runs it."""
