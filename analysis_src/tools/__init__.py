"""Developer tools (synthetic data, benchmark, lock file): never imported by a build."""
