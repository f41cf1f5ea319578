"""AWS access: sessions and credentials, the organization, regions."""

# Here rather than in ``sessions`` so that reading a config needs no botocore.
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
DEFAULT_SESSION_NAME = "orgscan"
