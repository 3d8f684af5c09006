"""Companies, users, roles, API tokens and log-in throttling."""
