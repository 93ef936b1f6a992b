// Keeps the reference-suite object library non-empty when filtered.
