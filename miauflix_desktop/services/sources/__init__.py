"""Source discovery: providers, release parsing, scoring, magnets, tracker stats."""
