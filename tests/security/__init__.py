"""Security regressions: log-in, sessions, redirects, headers, privacy."""
