"""``orgscan watch``: CloudTrail management events that can weaken protection, turned into
rescans of the accounts they touch, each written as a sealed incremental run folder.

``events`` maps one event to what it touches (pure); ``scope`` adds the owners the base run
knows; ``merge`` and ``incremental`` write the incremental run; ``loop`` reads the queue;
``lambda_handler`` runs the same for an SQS event source mapping.
"""
