"""Run folders on disk: creating them, writing a run's files, the run history and the run log."""
