"""Safety checks on what a tenant says: emergencies (with their reviewed safety sentences) and
requests for a person. Phrase lists and sentences live in `config/safety/`."""
