"""The netboot rules the server and the boot-server consumer (`pulp bootfiles pull`) share:
the artifact's constants, writer and readers, the safe-path and SBAT rules, and the boot
configs. Pure and free of Django, so the consumer needs nothing of the server to import it."""
