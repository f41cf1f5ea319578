"""Raw facts read from AWS, one function per kind of fact. ``read_bucket`` returns its
failures as values (``BucketFacts.error``, an ``orgscan.facts.AwsError``); the trail readers and
``list_owned_buckets`` raise botocore's errors, which the scan's units (``scan/units.py``) and
``verify --recompute`` turn into values."""
