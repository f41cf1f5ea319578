"""Raw facts read from AWS, one function per kind of fact; failures come back as values
(``orgscan.facts.AwsError``)."""
