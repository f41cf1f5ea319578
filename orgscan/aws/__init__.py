"""AWS access: sessions and credentials, the organization, regions."""
