"""Core value types and errors shared by every layer (no Qt, no I/O)."""
