"""Small shared pieces: registry, input checks, statistics, linear algebra, chunked maps,
progress, report writers."""
