"""Encryption at rest: the field cipher (AES-256-GCM / AES-256-SIV) and its keys."""
