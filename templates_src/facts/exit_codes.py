"""The exit status of every command: 0 success; 1 lint or policy findings, or stale output
(--check), or drift (status); 2 bad input (params, arguments, policy files, an out folder that
cannot be written); status only: 3 unhealthy, 4 cannot read (no such stack, a permission error)."""

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
EXIT_UNHEALTHY, EXIT_CANNOT_READ = 3, 4
