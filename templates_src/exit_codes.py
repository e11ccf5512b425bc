"""The exit status of every command: 0 success; 1 lint or policy findings, or stale output
(--check); 2 bad input (params, arguments, policy files, an out folder that cannot be written)."""

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
