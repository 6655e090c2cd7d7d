//! Plain-language findings computed from a run (placeholder; being written).
