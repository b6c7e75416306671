"""Small shared pieces: registry, input checks, chunked maps, progress, report writers."""
