//! The Python code and command lines a scenario corresponds to (placeholder; being written).
